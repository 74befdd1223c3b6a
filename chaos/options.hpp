// The settings of one chaos run (what to disturb, how often, for how long, where to report), and
// the parsing of their command-line spellings, validated once with messages naming the bad value.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace jupiter::chaos {

// What is done to a query replica: kill -9 then start; SIGSTOP then SIGCONT; SIGTERM then start.
enum class FaultKind { Kill, Stop, Restart };

std::string_view faultKindName(FaultKind k);

struct ChaosOptions {
    std::filesystem::path dir;           // the cluster to use (or to start one beside, when none runs)
    Millis duration{60000};
    Millis every{5000};                  // mean time between fault injections
    std::vector<FaultKind> faults{FaultKind::Kill, FaultKind::Stop, FaultKind::Restart};
    uint64_t seed = 1;
    std::optional<std::filesystem::path> out;  // default: DIR/chaos
    bool json = false;                   // print report.json instead of report.txt
    int queryClients = 8;
    Millis commandPeriod{20};
};

// "60s", "1.5s", "500ms", "2m" or plain milliseconds ("1500"). Errors (code "bad_option") name
// `option` and the accepted forms.
Result<Millis> parseDuration(std::string_view text, std::string_view option);

// A comma-separated subset of kill,stop,restart (no empties, no repeats).
Result<std::vector<FaultKind>> parseFaults(std::string_view text);

}  // namespace jupiter::chaos
