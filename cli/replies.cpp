// Rendering of replies; see replies.hpp.
#include "cli/replies.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "cli/table.hpp"
#include "schemas/catalog.hpp"

namespace jupiter::cli {
namespace {

std::string footer(const Envelope& reply) {
    return fmt::format("served by {} at seq {}\n", reply.node.value_or("?"),
                       reply.seq ? std::to_string(*reply.seq) : std::string("?"));
}

std::string field(const Doc& body, const char* key, std::string_view fallback) {
    return body.is_object() && body.contains(key) ? formatCell(key, body[key]) : std::string(fallback);
}

bool isListOfMaps(const Doc& v) {
    if (!v.is_array()) return false;
    for (const auto& x : v)
        if (!x.is_object()) return false;
    return true;
}

}  // namespace

Doc envelopeJson(const Envelope& e) {
    Doc out = {{"kind", std::string(kindName(e.kind))}, {"name", e.name}, {"id", e.id}, {"body", e.body}};
    out["seq"] = e.seq ? Doc(*e.seq) : Doc();
    out["node"] = e.node ? Doc(*e.node) : Doc();
    return out;
}

std::string renderCommandReply(const Envelope& reply) {
    std::string line = fmt::format("ok  {}", reply.name);
    const Doc& b = reply.body;
    if (b.is_object()) {
        if (b.contains("id")) line += fmt::format("  id={}", formatCell("id", b["id"]));
        if (b.contains("seq")) line += fmt::format("  seq={}", formatCell("seq", b["seq"]));
        if (b.contains("duplicate") && b["duplicate"] == true) line += "  duplicate";
    }
    return line + "\n";
}

std::string renderErrorReply(const Envelope& error) {
    // A command the cluster refused is "rejected" (the user's to fix); one it could not process, and
    // any query or control request without an answer, "failed" (usually the cluster's to fix).
    const std::string code = field(error.body, "code", "?");
    const bool clusterFault = code == "unavailable" || code == "timeout" || code == "internal";
    const bool rejected = findMessage(Kind::Command, error.name) != nullptr && !clusterFault;
    const std::string message = error.body.is_object() ? field(error.body, "message", "") : error.body.dump();
    return fmt::format("{}  {}: {} [{}]\n", rejected ? "rejected" : "failed", error.name, message, code);
}

std::string renderQueryReply(const Envelope& reply) {
    std::string out;
    const Doc& b = reply.body;
    if (b.is_object() && b.contains("items") && b["items"].is_array()) {
        out += renderTable(b["items"]);
        if (b.contains("next_after"))
            out += fmt::format("(more rows follow: repeat with after={})\n", formatCell("next_after", b["next_after"]));
    } else if (b.is_object()) {
        Doc row = b;
        row.erase("next_after");  // a page of a nested list (product.get's entries): said below it
        out += renderTable(Doc::array({row}));
        for (auto it = b.begin(); it != b.end(); ++it) {
            if (!isListOfMaps(*it)) continue;
            out += fmt::format("\n{}:\n", it.key());
            out += renderTable(*it);
        }
        if (b.contains("next_after"))
            out += fmt::format("(more rows follow: repeat with after={})\n", formatCell("next_after", b["next_after"]));
    } else {
        out += b.dump(2) + "\n";
    }
    return out + footer(reply);
}

std::string formatRtt(const Doc& rttUs) {
    if (!rttUs.is_number() || rttUs.get<double>() <= 0) return "-";
    const double us = rttUs.get<double>();
    return us < 10000 ? fmt::format("{:.1f} ms", us / 1000.0) : fmt::format("{:.0f} ms", us / 1000.0);
}

std::string renderStatus(const Doc& body) {
    Doc rows = Doc::array();
    std::string stuck;
    const Doc nodes = body.is_object() && body.contains("nodes") ? body["nodes"] : Doc::array();
    for (const auto& n : nodes) {
        if (!n.is_object()) continue;
        const bool up = n.value("state", "") == "UP";
        Doc row = {{"node", n.value("node", "?")}, {"role", n.value("role", "")}, {"state", n.value("state", "?")}};
        // A replica that is alive but stopped at an event it cannot apply (the line below says where).
        if (up && n.contains("stuck")) {
            row["state"] = "STUCK";
            stuck += fmt::format("{} {}: it applies nothing more and is not routed to; restart it with a build that "
                                 "can apply that event\n",
                                 n.value("node", "?"), n.value("stuck", ""));
        }
        row["pid"] = n.contains("pid") && n["pid"] != 0 ? n["pid"] : Doc("-");
        // An age means "time since the last heartbeat"; for a node never heard from it is noise.
        row["hb age"] = n.contains("age_ms") && (up || n.value("pid", 0) != 0)
                            ? Doc(fmt::format("{} ms", formatCell("age_ms", n["age_ms"])))
                            : Doc("-");
        row["seq"] = n.contains("seq") ? n["seq"] : Doc("-");
        row["standing"] = n.value("standing", std::string());
        row["lag"] = n.contains("lag") ? n["lag"] : Doc("-");
        row["ping rtt"] = formatRtt(n.contains("rtt_us") ? n["rtt_us"] : Doc());
        // Connections/messages the node refused (unknown keys, forbidden requests) since it started.
        const Doc refused = n.value("refused", Doc::object());
        row["refused"] = refused.is_object() && refused.contains("handshakes")
                             ? Doc(fmt::format("{}/{}", refused.value("handshakes", 0), refused.value("messages", 0)))
                             : Doc("-");
        rows.push_back(std::move(row));
    }
    std::vector<std::string> columns = {"node", "role", "state", "pid", "hb age", "seq", "lag", "ping rtt", "refused"};
    const bool standings = std::any_of(rows.begin(), rows.end(), [](const Doc& r) { return r["standing"] != ""; });
    if (standings) columns.insert(columns.begin() + 3, "standing");
    std::string out = renderTable(rows, columns) + stuck;
    const std::string route = field(body, "route", "");
    out += fmt::format("gateway route: {}\n", route.empty() ? "none" : route);
    if (body.is_object() && body.contains("head")) out += fmt::format("command head: {}\n", formatCell("head", body["head"]));
    if (standings && !field(body, "leader", "").empty())
        out += fmt::format("command leader: {} (epoch {}); a standby's lag is how many events it is behind the leader\n",
                           field(body, "leader", ""), body.value("epoch", uint64_t{0}));
    return out;
}

}  // namespace jupiter::cli
