// A scripted assistant session through the official MCP SDK client, for the README and
// reviews: "which lost deals over $50k mentioned a competitor, and what did the customer
// say?" Each tool call and a short view of its answer are printed.
//
//   node tests/mcp/demo_session.mjs DB [path/to/callmine-query]
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [db, bin = path.resolve("bin/callmine-query")] = process.argv.slice(2);
if (!db) {
  console.error("usage: node tests/mcp/demo_session.mjs DB [callmine-query]");
  process.exit(2);
}
const client = new Client({ name: "demo-assistant", version: "1.0.0" });
await client.connect(new StdioClientTransport({ command: bin, args: ["--db", db, "mcp"],
  stderr: "ignore" }));

async function ask(name, args, show) {
  console.log(`\n→ ${name} ${JSON.stringify(args)}`);
  const t0 = Date.now();
  const r = await client.callTool({ name, arguments: args });
  if (r.isError) {
    console.log(`← error: ${r.content[0].text}`);
    return null;
  }
  console.log(`← (${Date.now() - t0} ms) ${show(r.structuredContent)}`);
  return r.structuredContent;
}

const lostOver50k = { stage: "closedlost", min_amount: 50000, deal_timing: "now" };
console.log("Q: Which lost deals over $50k mentioned a competitor, and what did the customer say?");
await ask("status", {}, (s) => JSON.stringify(s));
await ask("list_values", { field: "tracker", limit: 5 }, (v) => JSON.stringify(v.values));
await ask("list_values", { field: "stage", deal_timing: "now" }, (v) => JSON.stringify(v.values));
await ask("find_calls", { ...lostOver50k, limit: 3 }, (c) =>
  `${c.total} calls; first: ${JSON.stringify(c.calls[0])}`);
const deals = await ask("sql_query", {
  sql: "SELECT f.deal_name, f.company_name, f.amount, count(*) AS calls, " +
    "sum(EXISTS (SELECT 1 FROM trackers t WHERE t.call_id = f.call_id AND " +
    "t.name = 'Competitors' AND t.count > 0)) AS calls_with_competitor " +
    "FROM call_facts f WHERE f.outcome = 'lost' AND f.amount > 50000 " +
    "GROUP BY f.deal_id HAVING calls_with_competitor > 0 ORDER BY f.amount DESC",
  limit: 50,
}, (q) => `${q.rows.length} deals\n` +
  q.rows.slice(0, 10).map((r) => `   ${r.join(" | ")}`).join("\n"));
const said = await ask("search_transcripts", {
  query: "Clarivox OR Sonarly OR Pitchwise OR Velora OR competitor*", speaker: "customer",
  ...lostOver50k, limit: 12,
}, (s) => `${s.hits.length} hits in ${s.calls} calls (more: ${s.more})\n` +
  s.hits.map((h) => `   [${h.score.toFixed(2)}] ${h.title} · ${h.started.slice(0, 10)} · ` +
    `${h.speaker_name}: ${h.snippet}`).join("\n"));
await ask("run_analysis", { name: "mentions", pattern: "Clarivox|Sonarly|Pitchwise|Velora",
  speaker: "customer", by: "outcome" }, (a) => "\n" +
  a.rows.map((r) => `   ${JSON.stringify(r)}`).join("\n"));
if (said?.hits.length) {
  const h = said.hits[0];
  await ask("get_call", { call_id: h.call_id, limit: 400 }, (c) => {
    const i = c.transcript.findIndex((s) => s.start_ms === h.start_ms);
    const who = Object.fromEntries(c.parties.map((p) => [p.speaker_id, p.name]));
    return `${c.title}; deal ${JSON.stringify(c.deals.find((d) => d.timing === "Now"))}\n` +
      c.transcript.slice(Math.max(0, i - 2), i + 3)
        .map((s) => `   ${who[s.speaker_id] ?? s.speaker_id}: ${s.text}`).join("\n");
  });
}
await client.close();
