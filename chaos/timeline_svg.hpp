// The run as one picture: a hand-written SVG (no library) with a lane per query replica coloured by
// state, a lane for the replica the gateway uses, the query latency over time and every fault as a
// labelled dashed line. Readable in a browser without explanation.
#pragma once

#include <string>

#include "chaos/experiment.hpp"
#include "chaos/options.hpp"

namespace jupiter::chaos {

// The whole document, from <svg ...> to </svg>; valid XML (every text is escaped).
std::string timelineSvg(const ChaosRun& run, const ChaosOptions& options);

// Escapes &, <, >, " and ' for XML text and attribute values.
std::string xmlEscape(std::string_view text);

}  // namespace jupiter::chaos
