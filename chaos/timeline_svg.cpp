// SVG timeline of a chaos run; see timeline_svg.hpp.
#include "chaos/timeline_svg.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "chaos/report.hpp"

namespace jupiter::chaos {
namespace {

// Geometry, in SVG user units (px).
constexpr double kWidth = 1200, kLeft = 150, kRight = 30;
constexpr double kPlotWidth = kWidth - kLeft - kRight;
constexpr double kFaultLabelTop = 112, kLaneTop = 142, kLaneHeight = 24, kLaneGap = 8;
constexpr double kPlotHeight = 200;
constexpr int kBuckets = 240;
constexpr double kCharWidth = 6.4;  // of the 11 px labels, to keep fault labels from overlapping

// One colour per query node, in configured order (more than these repeat).
constexpr std::array<const char*, 9> kPalette = {"#4e79a7", "#b07aa1", "#76b7b2", "#edc948", "#9c755f",
                                                 "#ff9da7", "#59a14f", "#e15759", "#bab0ac"};

enum class LaneState { Up, Dead, Stopped, Cut, Recovering };

const char* laneColour(LaneState s) {
    switch (s) {
        case LaneState::Up: return "#4caf50";
        case LaneState::Dead: return "#d62728";
        case LaneState::Stopped: return "#ffb300";
        case LaneState::Cut: return "#7e57c2";
        case LaneState::Recovering: return "#f4a6a6";
    }
    return "#999";
}

std::string replicaColour(const ChaosRun& run, const std::string& replica) {
    for (std::size_t i = 0; i < run.replicas.size(); ++i)
        if (run.replicas[i] == replica) return kPalette[i % kPalette.size()];
    return "#bbbbbb";
}

class Canvas {
public:
    Canvas(const ChaosRun& run)
        : start_(run.startMs),
          span_(std::max<int64_t>(1, run.endMs - run.startMs)),
          lanes_(static_cast<double>(run.replicas.size() + run.spares.size())) {}
    // One lane per query node, one per gateway and broker, then the gateway's lane, then the latency plot.
    double laneTop(std::size_t i) const { return kLaneTop + static_cast<double>(i) * (kLaneHeight + kLaneGap); }
    double gatewayLaneTop() const { return kLaneTop + lanes_ * (kLaneHeight + kLaneGap) + 8; }
    double plotTop() const { return gatewayLaneTop() + kLaneHeight + 44; }
    double plotBottom() const { return plotTop() + kPlotHeight; }
    double height() const { return plotBottom() + 62; }
    double x(int64_t wallMs) const {
        const double t = std::clamp(static_cast<double>(wallMs - start_), 0.0, static_cast<double>(span_));
        return kLeft + kPlotWidth * t / static_cast<double>(span_);
    }
    int64_t start() const { return start_; }
    int64_t end() const { return start_ + span_; }
    int64_t span() const { return span_; }

private:
    int64_t start_, span_;
    double lanes_;
};

void rect(std::string& out, double x, double y, double w, double h, const std::string& fill, const std::string& title) {
    out += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"><title>{}</title></rect>)",
                       x, y, std::max(w, 0.5), h, fill, xmlEscape(title));
    out += "\n";
}

void text(std::string& out, double x, double y, const std::string& s, const std::string& attrs = "") {
    out += fmt::format(R"(<text x="{:.1f}" y="{:.1f}"{}{}>{}</text>)", x, y, attrs.empty() ? "" : " ", attrs,
                       xmlEscape(s));
    out += "\n";
}

// A replica's state at `t`: what we did to it first, then what the monitor says.
LaneState stateAt(const ChaosRun& run, const std::string& replica, int64_t t) {
    for (const auto& f : run.faults) {
        if (f.target != replica || t < f.atMs) continue;
        const bool held = isStopFault(f.kind) || f.kind == FaultKind::Partition;  // over when recovery begins
        const int64_t until = held ? f.recoverAtMs : f.recoveredMs;
        if (until == 0 || t < until)
            return f.kind == FaultKind::Partition ? LaneState::Cut
                   : isStopFault(f.kind)          ? LaneState::Stopped
                                                  : LaneState::Dead;
    }
    std::string last = "UP";
    for (const auto& tr : run.transitions)
        if (tr.node == replica && tr.atMs <= t && (tr.event == "UP" || tr.event == "DOWN")) last = tr.event;
    return last == "DOWN" ? LaneState::Recovering : LaneState::Up;
}

const char* stateName(LaneState s) {
    switch (s) {
        case LaneState::Up: return "up";
        case LaneState::Dead: return "killed / terminated";
        case LaneState::Stopped: return "stopped (SIGSTOP)";
        case LaneState::Cut: return "cut off (partition)";
        case LaneState::Recovering: return "monitor: DOWN (restarting, catching up)";
    }
    return "?";
}

void replicaLane(std::string& out, const ChaosRun& run, const Canvas& c, const std::string& replica, double y) {
    std::vector<int64_t> points = {c.start(), c.end()};
    for (const auto& f : run.faults)
        if (f.target == replica)
            for (int64_t t : {f.atMs, f.recoverAtMs, f.recoveredMs}) points.push_back(t);
    for (const auto& tr : run.transitions)
        if (tr.node == replica) points.push_back(tr.atMs);
    std::erase_if(points, [&](int64_t t) { return t < c.start() || t > c.end(); });
    std::sort(points.begin(), points.end());
    points.erase(std::unique(points.begin(), points.end()), points.end());
    std::size_t i = 0;
    while (i + 1 < points.size()) {
        const LaneState s = stateAt(run, replica, points[i]);
        std::size_t j = i + 1;
        while (j + 1 < points.size() && stateAt(run, replica, points[j]) == s) ++j;
        rect(out, c.x(points[i]), y, c.x(points[j]) - c.x(points[i]), kLaneHeight, laneColour(s),
             fmt::format("{} {} from {:.2f} s to {:.2f} s", replica, stateName(s),
                         static_cast<double>(points[i] - c.start()) / 1000.0,
                         static_cast<double>(points[j] - c.start()) / 1000.0));
        i = j;
    }
    text(out, kLeft - 10, y + kLaneHeight / 2 + 4, replica, R"(text-anchor="end" font-weight="bold")");
}

void gatewayLane(std::string& out, const ChaosRun& run, const Canvas& c) {
    struct Segment {
        int64_t from;
        std::string replica;
    };
    std::vector<Segment> segments = {{c.start(), replicaInUse(run.transitions, c.start())}};
    // The first gateway's route (every gateway routes alike, from the same heartbeats).
    const std::string gateway = run.spares.empty() ? std::string() : run.spares.front();
    for (const auto& t : run.transitions)
        if (t.event == "REROUTE" && t.atMs > c.start() && t.atMs <= c.end() && (gateway.empty() || t.node == gateway))
            segments.push_back({t.atMs, t.to == "none" ? "" : t.to});
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const int64_t to = i + 1 < segments.size() ? segments[i + 1].from : c.end();
        const double x0 = c.x(segments[i].from), x1 = c.x(to);
        const std::string name = segments[i].replica.empty() ? "none" : segments[i].replica;
        rect(out, x0, c.gatewayLaneTop(), x1 - x0, kLaneHeight, replicaColour(run, segments[i].replica),
             fmt::format("the gateway sends queries to {} from {:.2f} s to {:.2f} s", name,
                         static_cast<double>(segments[i].from - c.start()) / 1000.0,
                         static_cast<double>(to - c.start()) / 1000.0));
        if (x1 - x0 > 52)
            text(out, (x0 + x1) / 2, c.gatewayLaneTop() + kLaneHeight / 2 + 4, name,
                 R"(text-anchor="middle" fill="white" font-size="11")");
    }
    text(out, kLeft - 10, c.gatewayLaneTop() + kLaneHeight / 2 + 4, "gateway uses", R"(text-anchor="end" font-weight="bold")");
}

void legend(std::string& out, const ChaosRun& run) {
    double x = kLeft;
    auto swatch = [&](const std::string& fill, const std::string& label, double y) {
        out += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="14" height="11" fill="{}"/>)", x, y - 10, fill) + "\n";
        text(out, x + 19, y, label, R"(font-size="12")");
        x += 19 + static_cast<double>(label.size()) * 6.6 + 18;
    };
    text(out, kLeft - 10, 72, "replica state", R"(text-anchor="end" font-size="12" fill="#555")");
    for (LaneState s : {LaneState::Up, LaneState::Dead, LaneState::Stopped, LaneState::Cut, LaneState::Recovering})
        swatch(laneColour(s), stateName(s), 72);
    x = kLeft;
    text(out, kLeft - 10, 92, "gateway uses", R"(text-anchor="end" font-size="12" fill="#555")");
    for (const auto& r : run.replicas) swatch(replicaColour(run, r), r, 92);
    swatch(replicaColour(run, ""), "none", 92);
    x += 30;
    out += fmt::format(R"(<line x1="{0:.1f}" y1="88" x2="{1:.1f}" y2="88" stroke="#444" stroke-dasharray="4 3"/>)", x,
                       x + 24) + "\n";
    text(out, x + 30, 92, "fault injected (label: what, where)", R"(font-size="12")");
}

void faultMarkers(std::string& out, const ChaosRun& run, const Canvas& c) {
    double rowEnd[2] = {-1e9, -1e9};
    for (const auto& f : run.faults) {
        const double x = c.x(f.atMs);
        const std::string label = f.label();
        const double width = static_cast<double>(label.size()) * kCharWidth;
        // Two label rows, so faults close together stay legible.
        const int row = rowEnd[0] < x - 2 ? 0 : (rowEnd[1] < x - 2 ? 1 : (rowEnd[0] <= rowEnd[1] ? 0 : 1));
        rowEnd[row] = x + 3 + width;
        const double y = kFaultLabelTop + 14.0 * row;
        // Over the lanes and over the plot, not across the plot's caption between them.
        for (const auto& [y0, y1] : {std::pair{y - 10, c.gatewayLaneTop() + kLaneHeight}, std::pair{c.plotTop(), c.plotBottom()}})
            out += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" stroke="#333" )"
                               R"(stroke-width="1.2" stroke-dasharray="4 3"/>)",
                               x, y0, y1) + "\n";
        text(out, x + 3, y, label, R"(font-size="11" fill="#222")");
    }
}

double yOfMs(const Canvas& c, double ms, double loMs, double hiMs) {
    const double clamped = std::clamp(ms, loMs, hiMs);
    const double f = (std::log10(clamped) - std::log10(loMs)) / (std::log10(hiMs) - std::log10(loMs));
    return c.plotBottom() - f * kPlotHeight;
}

void latencyPlot(std::string& out, const ChaosRun& run, const Canvas& c, const ChaosOptions&) {
    const double bucketMs = static_cast<double>(c.span()) / kBuckets;
    std::vector<std::vector<int64_t>> ok(kBuckets);
    std::vector<int64_t> worst(kBuckets, 0), commandWorst(kBuckets, 0);
    std::vector<int64_t> failedAt;
    const int64_t loadStart = run.startMs;
    auto bucketOf = [&](int64_t wallMs) {
        const double b = static_cast<double>(wallMs - c.start()) / bucketMs;
        return static_cast<std::size_t>(std::clamp(b, 0.0, static_cast<double>(kBuckets - 1)));
    };
    int64_t maxUs = 1;
    for (const auto& s : run.queries.samples) {
        const int64_t at = loadStart + s.doneUs / 1000;
        const auto b = bucketOf(at);
        worst[b] = std::max(worst[b], s.latencyUs);
        maxUs = std::max(maxUs, s.latencyUs);
        if (s.ok) ok[b].push_back(s.latencyUs);
        else failedAt.push_back(at);
    }
    for (const auto& s : run.commands.samples) {
        const auto b = bucketOf(s.ackMs);
        commandWorst[b] = std::max(commandWorst[b], s.latencyUs);
        maxUs = std::max(maxUs, s.latencyUs);
    }
    // The scale starts at the decade of the fastest plotted value, so no decade is empty paper.
    std::vector<int64_t> median(kBuckets, 0);
    for (std::size_t b = 0; b < ok.size(); ++b) {
        if (ok[b].empty()) continue;
        std::nth_element(ok[b].begin(), ok[b].begin() + static_cast<std::ptrdiff_t>(ok[b].size() / 2), ok[b].end());
        median[b] = ok[b][ok[b].size() / 2];
    }
    int64_t minUs = maxUs;
    for (int64_t us : median)
        if (us > 0) minUs = std::min(minUs, us);
    const double loMs =
        std::max(0.01, std::pow(10.0, std::floor(std::log10(static_cast<double>(std::max<int64_t>(1, minUs)) / 1000.0))));
    const double hiMs = std::max(10.0, std::pow(10.0, std::ceil(std::log10(static_cast<double>(maxUs) / 1000.0))));

    // Frame, decade grid and labels.
    out += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="#fafafa" stroke="#999"/>)",
                       kLeft, c.plotTop(), kPlotWidth, kPlotHeight) + "\n";
    for (double d = loMs; d <= hiMs * 1.001; d *= 10) {
        const double y = yOfMs(c, d, loMs, hiMs);
        out += fmt::format(R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#ddd"/>)", kLeft, y,
                           kLeft + kPlotWidth, y) + "\n";
        text(out, kLeft - 6, y + 4, d < 1 ? fmt::format("{:.1f} ms", d) : fmt::format("{:.0f} ms", d),
             R"(text-anchor="end" font-size="11")");
    }
    text(out, kLeft, c.plotTop() - 8,
         fmt::format("query latency through the gateway (log scale), per {:.0f} ms bucket: ", bucketMs),
         R"(font-size="12" font-weight="bold")");
    double lx = kLeft + 520;
    auto key = [&](const std::string& colour, const std::string& dash, const std::string& label) {
        out += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{2:.1f}" y2="{1:.1f}" stroke="{3}" stroke-width="2"{4}/>)",
                           lx, c.plotTop() - 12, lx + 20, colour,
                           dash.empty() ? "" : fmt::format(R"( stroke-dasharray="{}")", dash)) + "\n";
        text(out, lx + 24, c.plotTop() - 8, label, R"(font-size="12")");
        lx += 24 + static_cast<double>(label.size()) * 6.6 + 16;
    };
    key("#222", "", "slowest");
    key("#4e79a7", "", "median");
    key("#f28e2b", "5 3", "command ack (slowest)");
    text(out, lx, c.plotTop() - 8, "x failed query", R"(font-size="12" fill="#d62728")");

    auto series = [&](const std::vector<int64_t>& us, const std::string& colour, const std::string& extra) {
        std::string d;
        bool pen = false;
        for (int b = 0; b < kBuckets; ++b) {
            if (us[static_cast<std::size_t>(b)] <= 0) {
                pen = false;
                continue;
            }
            const double x = kLeft + kPlotWidth * (b + 0.5) / kBuckets;
            const double y = yOfMs(c, static_cast<double>(us[static_cast<std::size_t>(b)]) / 1000.0, loMs, hiMs);
            d += fmt::format("{}{:.1f},{:.1f} ", pen ? "L" : "M", x, y);
            pen = true;
        }
        if (!d.empty())
            out += fmt::format(R"(<path d="{}" fill="none" stroke="{}" stroke-width="1.6"{}/>)", d, colour, extra) + "\n";
    };
    series(commandWorst, "#f28e2b", R"( stroke-dasharray="5 3")");
    series(worst, "#222", "");
    series(median, "#4e79a7", "");
    for (int64_t at : failedAt)
        text(out, c.x(at), c.plotTop() + 12, "x", R"(text-anchor="middle" fill="#d62728" font-weight="bold")");

    // Time axis.
    const double seconds = static_cast<double>(c.span()) / 1000.0;
    double step = 1;
    for (double s : {1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0})
        if (seconds / s <= 15) {
            step = s;
            break;
        }
    for (double s = 0; s <= seconds + 1e-9; s += step) {
        const double x = kLeft + kPlotWidth * s / seconds;
        out += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" stroke="#999"/>)", x, c.plotBottom(),
                           c.plotBottom() + 5) + "\n";
        text(out, x, c.plotBottom() + 18, fmt::format("{:.0f}", s), R"(text-anchor="middle" font-size="11")");
    }
    text(out, kLeft + kPlotWidth / 2, c.plotBottom() + 38, "seconds since the load started",
         R"(text-anchor="middle" font-size="12")");
}

}  // namespace

std::string xmlEscape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char ch : s) {
        switch (ch) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default: out += ch;
        }
    }
    return out;
}

std::string timelineSvg(const ChaosRun& run, const ChaosOptions& options) {
    const Canvas c(run);
    std::string out = fmt::format(
        R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0:.0f}" height="{1:.0f}" viewBox="0 0 {0:.0f} {1:.0f}" )"
        R"(font-family="Helvetica, Arial, sans-serif">)",
        kWidth, c.height());
    out += "\n";
    out += fmt::format(R"(<rect width="{:.0f}" height="{:.0f}" fill="white"/>)", kWidth, c.height()) + "\n";
    const uint64_t total = run.queries.ok + run.queries.failed;
    const double availability =
        total ? 100.0 * static_cast<double>(run.queries.ok) / static_cast<double>(total) : 0.0;
    text(out, 20, 28,
         fmt::format("jupiter-chaos: {} faults on replicas, gateways and brokers, query availability {:.3f} %", run.faults.size(),
                     availability),
         R"(font-size="18" font-weight="bold")");
    text(out, 20, 48,
         fmt::format("{} ok / {} failed queries from {} clients; {} commands acknowledged, {} lost; replicas {}; "
                     "seed {}, a fault every ~{:.1f} s",
                     run.queries.ok, run.queries.failed, run.queryClients, run.commands.acked, run.convergence.lost,
                     run.convergence.converged() ? "converged" : "DID NOT converge", options.seed,
                     static_cast<double>(options.every.count()) / 1000.0),
         R"(font-size="12" fill="#444")");
    legend(out, run);
    for (std::size_t i = 0; i < run.replicas.size(); ++i) replicaLane(out, run, c, run.replicas[i], c.laneTop(i));
    for (std::size_t i = 0; i < run.spares.size(); ++i)
        replicaLane(out, run, c, run.spares[i], c.laneTop(run.replicas.size() + i));
    gatewayLane(out, run, c);
    latencyPlot(out, run, c, options);
    faultMarkers(out, run, c);
    out += "</svg>\n";
    return out;
}

}  // namespace jupiter::chaos
