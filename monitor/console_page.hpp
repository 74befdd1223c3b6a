// The console's one page (monitor/console/console.html), compiled into the monitor at build time
// (monitor/CMakeLists.txt), so that the daemon needs no file beside it and the browser nothing
// from elsewhere.
#pragma once

#include <string_view>

namespace jupiter {

std::string_view consolePage();

}  // namespace jupiter
