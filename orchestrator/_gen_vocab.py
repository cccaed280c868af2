"""Word lists for the data generator (constants only; see ``shopetl.generate``).

Some entries deliberately hold commas, double quotes, apostrophes and non-ASCII letters so that the
generated CSV exercises RFC 4180 quoting and UTF-8 handling.
"""

from __future__ import annotations

# The exact column order of each file, as in docs/data-contract (the shop's pandas exporter).
COLUMNS: dict[str, tuple[str, ...]] = {
    "product_categories": ("category_id", "name", "description", "parent_id", "created_at"),
    "products": (
        "product_id", "name", "description", "price", "cost", "category_id", "sku",
        "inventory_count", "weight", "created_at", "is_active",
    ),
    "customers": (
        "customer_id", "email", "first_name", "last_name", "street_address", "city", "state",
        "zip_code", "country", "phone", "registration_date", "last_login",
    ),
    "orders": (
        "order_id", "customer_id", "order_date", "status", "payment_method", "shipping_address",
        "shipping_city", "shipping_state", "shipping_zip", "shipping_country", "processing_date",
        "shipping_date", "delivery_date", "total_amount",
    ),
    "order_items": ("order_item_id", "order_id", "product_id", "quantity", "price", "discount", "total"),
}

STATUSES: tuple[str, ...] = (
    "Pending", "Processing", "Shipped", "In Transit", "Delivered", "Cancelled", "Returned",
)

ROOT_CATEGORIES: tuple[str, ...] = (
    "Electronics", "Home & Kitchen", "Books", "Clothing, Shoes & Jewelry", "Sports & Outdoors",
    "Toys & Games", "Beauty & Personal Care", "Health & Household", "Automotive", "Garden & Patio",
    "Office Products", "Pet Supplies", "Grocery & Gourmet Food", "Musical Instruments",
    "Movies & TV", "Tools & Home Improvement", "Baby", "Arts, Crafts & Sewing",
)

SUBCATEGORY_WORDS: tuple[str, ...] = (
    "Accessories", "Cables", "Storage", "Lighting", "Bedding", "Cookware", "Bakeware", "Cutlery",
    "Fiction", "Non-Fiction", "Comics", "Textbooks", "Outerwear", "Footwear", "Watches", "Rings",
    "Camping", "Cycling", "Fitness", "Fishing", "Puzzles", "Board Games", "Dolls", "Building Sets",
    "Skin Care", "Hair Care", "Fragrance", "Vitamins", "First Aid", "Car Care", "Tires", "Interior",
    "Planters", "Grills", "Seeds", "Paper", "Pens", "Desks", "Dog Food", "Cat Toys", "Aquariums",
    "Coffee", "Tea", "Snacks", "Guitars", "Keyboards", "Drums", "Blu-ray", "Box Sets", "Power Tools",
    "Hand Tools", "Hardware", "Strollers", "Diapers", "Yarn", "Paint", "Laptops", "Tablets",
    "Headphones", "Cameras", "Smart Home", "Printers", "Monitors",
)

SUBCATEGORY_QUALIFIERS: tuple[str, ...] = (
    "", "", "", "Premium ", "Kids' ", "Outdoor ", "Vintage ", "Eco ", "Travel ", "Professional ",
    "Gift Sets & ", "Refurbished ", "Smart ",
)

DESCRIPTION_SENTENCES: tuple[str, ...] = (
    "Durable, lightweight and easy to clean.",
    "Our best seller, now in new colours.",
    'Rated "excellent" by 9 out of 10 customers.',
    "Made from recycled materials.",
    "Fits most standard sizes; see the size chart.",
    "Includes a 2-year warranty, free returns and fast shipping.",
    'The 12" model, with a 3.5" adapter included.',
    "Hand-made in small batches.",
    "Dishwasher safe.",
    "Suitable for indoor and outdoor use.",
    "Batteries not included.",
    'Ships in "frustration-free" packaging, no plastic.',
    "Crème de la crème of its category.",
    "Compact design, big performance.",
    "Water resistant up to 50 m.",
    "Assembly required, tools included.",
    "Perfect as a gift.",
    "Limited edition, while stocks last.",
    "Soft-touch finish, non-slip base.",
    "Certified organic, vegan & cruelty-free.",
    "Available in S, M, L and XL.",
    "Über-comfortable for all-day wear.",
)

PRODUCT_ADJECTIVES: tuple[str, ...] = (
    "Classic", "Deluxe", "Ultra", "Compact", "Portable", "Wireless", "Ergonomic", "Smart", "Organic",
    "Premium", "Vintage", "Heavy-Duty", "Eco", "Mini", "Pro", "Essential", "Rustic", "Modern",
    "Stainless", "Waterproof", "Kids'", "Luxe", "Everyday", "Nordic", "Café",
)

PRODUCT_NOUNS: tuple[str, ...] = (
    "Mouse", "Keyboard", "Headphones", "Blender", "Kettle", "Frying Pan", "Chef's Knife", "Mug",
    "Backpack", "Water Bottle", "Yoga Mat", "Tent", "Sleeping Bag", "Desk Lamp", "Notebook",
    "Fountain Pen", "Board Game", "Puzzle", "Dog Leash", "Cat Tree", "Face Cream", "Shampoo",
    "Socks, 3-Pack", "T-Shirt", "Sneakers", "Watch", "Sunglasses", "Drill", "Screwdriver Set",
    "Garden Hose", "Planter", "Coffee Beans", "Green Tea", "Guitar Strings", 'Monitor 27"',
    'Tablet 10"', "Phone Case", "USB-C Cable", "Power Bank", "Bluetooth Speaker", "Baby Monitor",
    "Stroller", "Paint Set", "Yarn, Merino", "Candle", "Throw Pillow", "Duvet Cover", "Towel Set",
)

MODEL_CODES: tuple[str, ...] = ("X", "ZR", "Pro", "S", "Mk", "GT", "Air", "Max", "V", "Neo")

FIRST_NAMES: tuple[str, ...] = (
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William",
    "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Charles", "Karen", "Christopher", "Nancy", "Daniel", "Lisa", "Matthew", "Betty", "Anthony",
    "Margaret", "Mark", "Sandra", "Donald", "Ashley", "Steven", "Kimberly", "Paul", "Emily", "Andrew",
    "Donna", "Joshua", "Michelle", "Kenneth", "Carol", "Kevin", "Amanda", "Brian", "Melissa",
    "George", "Deborah", "Timothy", "Stephanie", "Ronald", "Rebecca", "Jason", "Laura", "Edward",
    "Sharon", "Jeffrey", "Cynthia", "Ryan", "Kathleen", "Jacob", "Amy", "Gary", "Angela", "Nicholas",
    "Shirley", "Eric", "Anna", "Jonathan", "Brenda", "Stephen", "Pamela", "Larry", "Emma", "Justin",
    "Nicole", "Scott", "Helen", "Brandon", "Samantha", "Benjamin", "Katherine", "Samuel", "Christine",
    "José", "María", "Zoë", "François", "Chloé", "Søren", "Björn", "Anaïs", "Łukasz", "Renée",
    "Jürgen", "Inês", "Mei", "Hiroshi", "Aisha", "Oluwaseun", "Priya", "Rahul", "Ana-Maria",
    "Mary Ann", "D'Andre", "Noah", "Liam", "Olivia", "Ava", "Mia", "Lucas", "Ethan", "Sofia",
)

LAST_NAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
    "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark",
    "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres",
    "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell",
    "Mitchell", "Carter", "Roberts", "O'Brien", "O'Connor", "McDonald", "Müller", "Schröder",
    "García", "Núñez", "Østergaard", "Kowalski", "Wiśniewska", "Dubois", "Lefèvre", "Rossi",
    "Bianchi", "Tanaka", "Kim", "Chen", "Patel", "Singh", "Okafor", "van der Berg", "De La Cruz",
    "Smith-Jones", "Papadopoulos", "Ivanova", "Andersson", "Haddad", "Cohen", "Silva", "Costa",
)

EMAIL_DOMAINS: tuple[str, ...] = (
    "gmail.com", "gmail.com", "gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com",
    "proton.me", "aol.com", "web.de", "mail.co.uk", "example.org", "fastmail.fm", "gmx.net",
)

EMAIL_SEPARATORS: tuple[str, ...] = (".", ".", "_", "")

STREET_NAMES: tuple[str, ...] = (
    "Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Pine St", "Elm St", "Washington Blvd",
    "Lake Shore Dr", "Park Ave", "Sunset Blvd", "Broadway", "Hillcrest Rd", "Church St",
    "Mill Rd", "High St", "King's Rd", "Queen St W", "O'Connell St", "Rue de la Paix",
    "Hauptstraße", "Calle Mayor", "Via Roma", "Avenida Paulista", "Königsallee",
    'Harbour Rd, Building "C"', 'The "Old Mill" Lane', "Station Rd", "Victoria Rd",
    "Riverside Dr", "Chestnut St", "Willow Way", "Birch Ct", "Spring St", "Market St",
)

ADDRESS_LINE2: tuple[str, ...] = ("Apt ", "Suite ", "Unit ", "Floor ", "Apt. ", "#")

# (city, state/region, country index into COUNTRIES, zip pattern or base, weight)
CITIES: tuple[tuple[str, str, int, str, int], ...] = (
    ("New York", "NY", 0, "10001", 9), ("Los Angeles", "CA", 0, "90001", 7),
    ("Chicago", "IL", 0, "60601", 5), ("Houston", "TX", 0, "77001", 5),
    ("Phoenix", "AZ", 0, "85001", 3), ("Philadelphia", "PA", 0, "19019", 3),
    ("San Antonio", "TX", 0, "78201", 2), ("San Diego", "CA", 0, "92101", 3),
    ("Dallas", "TX", 0, "75201", 3), ("Boston", "MA", 0, "02108", 3),
    ("Seattle", "WA", 0, "98101", 3), ("Denver", "CO", 0, "80201", 2),
    ("Miami", "FL", 0, "33101", 3), ("Atlanta", "GA", 0, "30301", 3),
    ("Portland", "OR", 0, "97201", 2), ("Newark", "NJ", 0, "07101", 1),
    ("Hartford", "CT", 0, "06101", 1), ("Winston-Salem", "NC", 0, "27101", 1),
    ("Coeur d'Alene", "ID", 0, "83814", 1), ("Washington", "DC", 0, "20001", 2),
    ("Toronto", "ON", 1, "M5V 2T6", 3), ("Montréal", "QC", 1, "H2X 1Y4", 2),
    ("Vancouver", "BC", 1, "V6B 1A1", 2), ("London", "England", 2, "SW1A 1AA", 4),
    ("Manchester", "England", 2, "M1 1AE", 1), ("Edinburgh", "Scotland", 2, "EH1 1YZ", 1),
    ("Berlin", "Berlin", 3, "10115", 2), ("München", "Bayern", 3, "80331", 2),
    ("Köln", "Nordrhein-Westfalen", 3, "50667", 1), ("Paris", "Île-de-France", 4, "75001", 2),
    ("Lyon", "Auvergne-Rhône-Alpes", 4, "69001", 1), ("Madrid", "Comunidad de Madrid", 5, "28001", 1),
    ("Barcelona", "Cataluña", 5, "08001", 1), ("Roma", "Lazio", 6, "00118", 1),
    ("Zürich", "ZH", 7, "8001", 1), ("São Paulo", "SP", 8, "01000-000", 1),
    ("Ciudad de México", "CDMX", 9, "06000", 1), ("Sydney", "NSW", 10, "2000", 1),
    ("Kraków", "Małopolskie", 11, "30-001", 1), ("Malmö", "Skåne", 12, "211 19", 1),
)

# (name, phone dialling code)
COUNTRIES: tuple[tuple[str, str], ...] = (
    ("United States", "1"), ("Canada", "1"), ("United Kingdom", "44"), ("Germany", "49"),
    ("France", "33"), ("Spain", "34"), ("Italy", "39"), ("Switzerland", "41"), ("Brazil", "55"),
    ("Mexico", "52"), ("Australia", "61"), ("Poland", "48"), ("Sweden", "46"),
)

PAYMENT_METHODS: tuple[tuple[str, int], ...] = (
    ("Credit Card", 45), ("PayPal", 20), ("Debit Card", 15), ("Apple Pay", 7), ("Google Pay", 5),
    ("Bank Transfer", 4), ("Gift Card", 2), ("Cash on Delivery", 2),
)
