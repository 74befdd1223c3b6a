// SVG line plots; see plot_svg.hpp.
#include "bench/plot_svg.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace jupiter::bench {
namespace {

constexpr double kWidth = 640, kHeight = 400, kLeft = 80, kRight = 170, kTop = 40, kBottom = 60;

std::string escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '<') out += "&lt;";
        else if (c == '>') out += "&gt;";
        else if (c == '&') out += "&amp;";
        else out += c;
    }
    return out;
}

// 1, 2 or 5 times a power of ten, at least `v`.
double roundUp(double v) {
    if (v <= 0) return 1;
    const double p = std::pow(10.0, std::floor(std::log10(v)));
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * p >= v) return m * p;
    return 10 * p;
}

}  // namespace

std::string linePlotSvg(const std::string& title, const std::string& xLabel, const std::string& yLabel,
                        const std::vector<double>& xs, const std::vector<PlotSeries>& series) {
    double top = 0;
    for (const auto& s : series)
        for (double y : s.ys) top = std::max(top, y);
    top = roundUp(top * 1.05);
    const double plotW = kWidth - kLeft - kRight, plotH = kHeight - kTop - kBottom;
    auto px = [&](std::size_t i) {
        return kLeft + (xs.size() <= 1 ? plotW / 2 : plotW * static_cast<double>(i) / static_cast<double>(xs.size() - 1));
    };
    auto py = [&](double y) { return kTop + plotH * (1 - y / top); };
    std::string out = fmt::format(
        R"svg(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" font-family="sans-serif" font-size="12">)svg"
        "\n<rect width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n",
        kWidth, kHeight);
    out += fmt::format(R"svg(<text x="{}" y="22" font-size="14" font-weight="bold">{}</text>)svg" "\n", kLeft, escape(title));
    for (int k = 0; k <= 5; ++k) {
        const double y = top * k / 5;
        out += fmt::format(R"svg(<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" stroke="#ddd"/>)svg" "\n", kLeft, kLeft + plotW,
                           py(y), py(y));
        out += fmt::format(R"svg(<text x="{}" y="{:.1f}" text-anchor="end">{:.0f}</text>)svg" "\n", kLeft - 6, py(y) + 4, y);
    }
    for (std::size_t i = 0; i < xs.size(); ++i)
        out += fmt::format(R"svg(<text x="{:.1f}" y="{}" text-anchor="middle">{:g}</text>)svg" "\n", px(i), kTop + plotH + 18,
                           xs[i]);
    out += fmt::format(R"svg(<text x="{:.1f}" y="{}" text-anchor="middle">{}</text>)svg" "\n", kLeft + plotW / 2,
                       kHeight - 16, escape(xLabel));
    out += fmt::format(R"svg(<text x="18" y="{:.1f}" text-anchor="middle" transform="rotate(-90 18 {:.1f})">{}</text>)svg" "\n",
                       kTop + plotH / 2, kTop + plotH / 2, escape(yLabel));
    out += fmt::format(R"svg(<rect x="{}" y="{}" width="{:.1f}" height="{:.1f}" fill="none" stroke="#888"/>)svg" "\n", kLeft,
                       kTop, plotW, plotH);
    for (std::size_t s = 0; s < series.size(); ++s) {
        const auto& ser = series[s];
        std::string points;
        for (std::size_t i = 0; i < ser.ys.size() && i < xs.size(); ++i)
            points += fmt::format("{:.1f},{:.1f} ", px(i), py(ser.ys[i]));
        out += fmt::format(R"svg(<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>)svg" "\n", points, ser.colour);
        for (std::size_t i = 0; i < ser.ys.size() && i < xs.size(); ++i)
            out += fmt::format(R"svg(<circle cx="{:.1f}" cy="{:.1f}" r="3" fill="{}"><title>{}: {:.0f}</title></circle>)svg" "\n",
                               px(i), py(ser.ys[i]), ser.colour, escape(ser.name), ser.ys[i]);
        const double ly = kTop + 10 + 20 * static_cast<double>(s);
        out += fmt::format(R"svg(<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" stroke="{}" stroke-width="2"/>)svg" "\n",
                           kLeft + plotW + 12, kLeft + plotW + 32, ly, ly, ser.colour);
        out += fmt::format(R"svg(<text x="{}" y="{:.1f}">{}</text>)svg" "\n", kLeft + plotW + 38, ly + 4, escape(ser.name));
    }
    out += "</svg>\n";
    return out;
}

}  // namespace jupiter::bench
