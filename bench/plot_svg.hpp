// A small line plot as standalone SVG (no library: a few rects, polylines and texts), for figures
// such as queries/s against clients for each routing.
#pragma once

#include <string>
#include <vector>

namespace jupiter::bench {

struct PlotSeries {
    std::string name;
    std::string colour;      // e.g. "#1f77b4"
    std::vector<double> ys;  // one per x
};

// X values are placed at equal spacing (client counts 8, 64, 256 read best that way) and labelled;
// the y axis starts at 0 and ends at a round number above the highest value.
std::string linePlotSvg(const std::string& title, const std::string& xLabel, const std::string& yLabel,
                        const std::vector<double>& xs, const std::vector<PlotSeries>& series);

}  // namespace jupiter::bench
