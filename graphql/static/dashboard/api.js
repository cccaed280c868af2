// The one way this page gets data: POST /graphql.

export class GraphQLError extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join("; "));
    this.name = "GraphQLError";
    this.errors = errors;
  }
}

/** Run a query; its data, or a GraphQLError with the server's messages. */
export async function gql(query, variables = {}) {
  const operation = /^\s*query\s+(\w+)/.exec(query);
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ query, variables, operationName: operation ? operation[1] : null }),
  });
  let body;
  try {
    body = await response.json();
  } catch {
    throw new Error(`the API answered HTTP ${response.status} without JSON`);
  }
  if (body.errors && body.errors.length) throw new GraphQLError(body.errors);
  if (!response.ok) throw new Error(`the API answered HTTP ${response.status}`);
  return body.data;
}

export const QUERIES = {
  years: `query DashboardYears($from: Date!, $to: Date!) {
    salesTrends(from: $from, to: $to, granularity: YEAR) { periodStart orders }
  }`,
  days: `query DashboardDays($from: Date!, $to: Date!) {
    salesTrends(from: $from, to: $to, granularity: DAY) { periodStart orders }
  }`,
  trend: `query DashboardTrend($from: Date!, $to: Date!, $granularity: Granularity!) {
    salesTrends(from: $from, to: $to, granularity: $granularity) {
      periodStart revenue units orders revenueChange
    }
  }`,
  categories: `query DashboardCategories {
    categories { categoryId name parentId depth path }
  }`,
  topProducts: `query DashboardTopProducts($categoryId: Int, $from: Date!, $to: Date!, $first: Int) {
    topProductsByCategory(categoryId: $categoryId, from: $from, to: $to, first: $first) {
      rank categoryId units revenue
      product { productId name sku }
    }
  }`,
  topCustomers: `query DashboardTopCustomers {
    customers(orderBy: [LIFETIME_VALUE_DESC], first: 6) {
      nodes { customerId firstName lastName lifetimeValue }
    }
  }`,
  customer: `query DashboardCustomer($id: Int!, $after: String) {
    customer(customerId: $id) {
      customerId email firstName lastName city state country
      registrationDate lifetimeValue orderCount averageOrderValue firstOrderAt lastOrderAt
      orders(first: 10, after: $after, orderBy: [ORDER_DATE_DESC]) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes {
          orderId orderDate status countsInSales revenue paymentMethod shippingCity shippingCountry
          items { orderItemId quantity price discount revenue product { productId name sku } }
        }
      }
    }
  }`,
  health: `query DashboardHealth {
    pipelineRuns(first: 10) {
      runId folder status stage isFullLoad startedAt finishedAt error stagedRows rejectedRows
      files { fileKey fileName stagedRows rejectedRows }
      rejects { fileKey reason rows }
    }
    checkResults {
      checkName severity scope status violatingRows runId checkedAt durationMs error needsAttention
    }
  }`,
};

/**
 * Revenue per category for a period: one salesTrends per category (YEAR points summed exactly),
 * as aliased root fields in requests of at most `perRequest` fields (the server allows 20).
 */
export async function categoryRevenue(categoryIds, from, to, perRequest = 15) {
  const result = new Map();
  for (let i = 0; i < categoryIds.length; i += perRequest) {
    const chunk = categoryIds.slice(i, i + perRequest);
    const fields = chunk.map((id) => {
      if (!Number.isInteger(id)) throw new Error(`bad category id ${id}`);
      return `c${id}: salesTrends(from: $from, to: $to, granularity: YEAR, categoryId: ${id}) { revenue orders }`;
    });
    const data = await gql(`query DashboardCategoryRevenue($from: Date!, $to: Date!) {\n  ${fields.join("\n  ")}\n}`,
      { from, to });
    for (const id of chunk) result.set(id, data[`c${id}`]);
  }
  return result;
}
