// callmine-query mcp, driven by the official MCP TypeScript SDK client over stdio.
//
// Run by tests/e2e/test_mcp_sdk.py (which builds a small mirror from the fake Gong server)
// with CALLMINE_MCP_DB (the mirror) and CALLMINE_BIN (the binaries). Every tool is listed and
// called; each structuredContent is validated against the tool's outputSchema with ajv and
// compared with the JSON of the text content; the error cases come back as isError results.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import Ajv from "ajv";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const DB = process.env.CALLMINE_MCP_DB;
const BIN = process.env.CALLMINE_BIN || path.resolve("../../bin");
const QUERY = path.join(BIN, "callmine-query");
const TOOLS = ["status", "describe_schema", "list_values", "find_calls", "get_call",
  "search_transcripts", "grep_transcripts", "run_analysis", "sql_query"];

async function connect(...flags) {
  const transport = new StdioClientTransport({
    command: QUERY, args: ["--db", DB, "mcp", ...flags], stderr: "pipe",
  });
  const client = new Client({ name: "callmine-sdk-test", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

let client, tools, ajv;

before(async () => {
  assert.ok(DB, "set CALLMINE_MCP_DB to a mirror");
  client = await connect();
  tools = (await client.listTools()).tools;
  ajv = new Ajv({ strict: false, allErrors: true });
});

after(async () => {
  await client?.close();
});

// Call a tool, check the result against its outputSchema and its text twin; return it.
async function call(name, args = {}) {
  const res = await client.callTool({ name, arguments: args });
  assert.equal(res.isError, false, `${name}: ${JSON.stringify(res.content)}`);
  const tool = tools.find((t) => t.name === name);
  const validate = ajv.compile(tool.outputSchema);
  assert.ok(validate(res.structuredContent),
    `${name}: ${ajv.errorsText(validate.errors)}`);
  assert.equal(res.content[0].type, "text");
  assert.deepEqual(JSON.parse(res.content[0].text), res.structuredContent);
  return res.structuredContent;
}

async function callError(name, args) {
  const res = await client.callTool({ name, arguments: args });
  assert.equal(res.isError, true, `${name} should fail: ${JSON.stringify(res)}`);
  assert.ok(res.content[0].text.length > 0);
  return res.content[0].text;
}

test("the server introduces itself", () => {
  const info = client.getServerVersion();
  assert.equal(info.name, "callmine");
  assert.match(client.getInstructions(), /search_transcripts/);
  assert.ok(client.getServerCapabilities().tools);
});

test("tools/list: the nine tools, read-only, with input and output schemas", () => {
  assert.deepEqual(tools.map((t) => t.name).sort(), [...TOOLS].sort());
  for (const t of tools) {
    assert.equal(t.inputSchema.type, "object", t.name);
    assert.equal(t.outputSchema.type, "object", t.name);
    assert.equal(t.annotations.readOnlyHint, true, t.name);
    assert.equal(t.annotations.destructiveHint, false, t.name);
    assert.ok(t.description.length > 40, t.name);
    ajv.compile(t.inputSchema); // every schema compiles
    ajv.compile(t.outputSchema);
  }
  const names = tools.find((t) => t.name === "run_analysis").inputSchema.properties.name.enum;
  assert.ok(names.includes("talk-ratio") && names.includes("mentions"));
});

test("status and describe_schema", async () => {
  const s = await call("status");
  assert.ok(s.calls > 0 && s.transcripts > 0);
  assert.equal(s.search_index, true);
  const d = await call("describe_schema");
  const facts = d.tables.find((t) => t.name === "call_facts");
  assert.equal(facts.kind, "view");
  assert.ok(facts.columns.some((c) => c.name === "outcome" && c.meaning));
  assert.ok(d.tables.some((t) => t.name === "calls" && t.kind === "table"));
});

test("list_values and find_calls with filters and paging", async () => {
  const stages = await call("list_values", { field: "stage" });
  assert.ok(stages.values.length > 0);
  const reps = await call("list_values", { field: "rep", limit: 2 });
  assert.ok(reps.values.length <= 2);
  for (const field of ["owner", "company", "tracker", "topic"])
    await call("list_values", { field, from: "2024-01-01" });
  const lost = await call("find_calls", { stage: "closedlost", min_amount: 50000, limit: 5 });
  for (const c of lost.calls) {
    assert.equal(c.stage.toLowerCase(), "closedlost");
    assert.ok(c.amount >= 50000);
  }
  const page1 = await call("find_calls", { limit: 3 });
  assert.equal(page1.calls.length, 3);
  assert.ok(page1.total > 3);
  const page2 = await call("find_calls", { limit: 3, cursor: page1.next_cursor });
  assert.notEqual(page2.calls[0].call_id, page1.calls[0].call_id);
});

test("get_call pages its transcript", async () => {
  const q = await call("sql_query", { sql: "SELECT call_id FROM transcripts ORDER BY size DESC",
    limit: 1 });
  const id = q.rows[0][0];
  const whole = await call("get_call", { call_id: id });
  assert.equal(whole.id, id);
  assert.equal(whole.next_cursor, null);
  assert.ok(Array.isArray(whole.parties) && Array.isArray(whole.deals));
  const pages = [];
  for (let cursor; ;) {
    const page = await call("get_call", { call_id: id, limit: 50, ...(cursor && { cursor }) });
    assert.ok(page.transcript.length <= 50);
    pages.push(...page.transcript);
    if (!(cursor = page.next_cursor)) break;
  }
  assert.ok(whole.transcript.length > 50);
  assert.deepEqual(pages, whole.transcript);
});

test("search_transcripts ranks sentences best first", async () => {
  const r = await call("search_transcripts", { query: "clarivox", speaker: "customer", limit: 5 });
  assert.ok(r.hits.length > 0);
  for (const h of r.hits) {
    assert.equal(h.affiliation, "External");
    assert.match(h.snippet, /\*\*clarivox\*\*/i);
  }
  for (let i = 1; i < r.hits.length; i++) assert.ok(r.hits[i - 1].score >= r.hits[i].score);
  const none = await call("search_transcripts", { query: "zzzqqqxxx" });
  assert.equal(none.hits.length, 0);
});

test("grep_transcripts, run_analysis and sql_query", async () => {
  const g = await call("grep_transcripts", { pattern: "pric(e|ing)", ignore_case: true, limit: 3 });
  assert.equal(g.hits.length, 3);
  assert.equal(g.truncated, true);
  assert.match(g.hits[0].match, /pric/i);
  const a = await call("run_analysis", { name: "talk-ratio" });
  assert.ok(a.rows.length > 0 && "group" in a.rows[0]);
  const m = await call("run_analysis", { name: "mentions", pattern: "clarivox", ignore_case: true,
    by: "outcome" });
  assert.equal(m.by, "outcome");
  const q = await call("sql_query", { sql: "SELECT outcome, count(*) AS n FROM call_facts GROUP BY 1", limit: 10 });
  assert.deepEqual(q.columns, ["outcome", "n"]);
  const big = await call("sql_query", { sql: "SELECT id FROM calls", limit: 5 });
  assert.equal(big.rows.length, 5);
  assert.equal(big.truncated, true);
});

test("errors come back as isError results that say what to fix", async () => {
  assert.match(await callError("search_transcripts", { query: "don't" }), /bad query/);
  assert.match(await callError("find_calls", { limit: 0 }), /limit/);
  assert.match(await callError("find_calls", { color: "red" }), /unknown argument 'color'/);
  assert.match(await callError("get_call", { call_id: "no-such-call" }), /no call/);
  assert.match(await callError("run_analysis", { name: "mentions" }), /pattern/);
  assert.match(await callError("sql_query", { sql: "DELETE FROM calls" }), /not allowed/);
  assert.match(await callError("sql_query", { sql: "ATTACH 'x.db' AS x" }), /not allowed/);
  assert.match(await callError("grep_transcripts", { pattern: "(" }), /missing|parenthes/i);
  const res = await client.callTool({ name: "no_such_tool", arguments: {} });
  assert.equal(res.isError, true);
});

test("--no-sql hides sql_query; --redact masks e-mail addresses", async () => {
  const plain = await connect("--no-sql");
  try {
    const names = (await plain.listTools()).tools.map((t) => t.name);
    assert.ok(!names.includes("sql_query"));
    assert.equal(names.length, TOOLS.length - 1);
  } finally {
    await plain.close();
  }
  const red = await connect("--redact");
  try {
    await red.listTools();
    const r = await red.callTool({ name: "sql_query",
      arguments: { sql: "SELECT email, id AS user_id FROM users WHERE email LIKE '%@%'", limit: 5 } });
    assert.equal(r.isError, false);
    assert.ok(r.structuredContent.rows.length > 0);
    for (const [email, id] of r.structuredContent.rows) {
      assert.equal(email, "[email]");
      assert.ok(id.length > 0 && !id.includes("["));
    }
    assert.ok(!/@[a-z0-9-]+\.[a-z]{2,}/i.test(JSON.stringify(r)));
  } finally {
    await red.close();
  }
});
