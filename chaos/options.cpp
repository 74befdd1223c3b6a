// Parsing of jupiter-chaos option values; see options.hpp.
#include "chaos/options.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace jupiter::chaos {

std::string_view faultKindName(FaultKind k) {
    switch (k) {
        case FaultKind::Kill: return "kill";
        case FaultKind::Stop: return "stop";
        case FaultKind::Restart: return "restart";
        case FaultKind::KillGateway: return "kill-gateway";
        case FaultKind::StopGateway: return "stop-gateway";
        case FaultKind::KillBroker: return "kill-broker";
        case FaultKind::StopBroker: return "stop-broker";
        case FaultKind::KillLeader: return "kill-leader";
        case FaultKind::StopLeader: return "stop-leader";
        case FaultKind::Partition: return "partition";
    }
    return "?";
}

const std::vector<FaultKind>& allFaultKinds() {
    static const std::vector<FaultKind> all{FaultKind::Kill,        FaultKind::Stop,        FaultKind::Restart,
                                            FaultKind::KillGateway, FaultKind::StopGateway, FaultKind::KillBroker,
                                            FaultKind::StopBroker, FaultKind::KillLeader, FaultKind::StopLeader,
                                            FaultKind::Partition};
    return all;
}

const std::vector<PartitionScope>& partitionScopes() {
    static const std::vector<PartitionScope> all{
        {Role::Query, {}, ""},
        {Role::Query, {"gateway"}, "from the gateways"},
        {Role::Gateway, {"broker"}, "from the brokers"},
        {Role::Broker, {}, ""},
        {Role::Command, {"command", "etcd"}, "from the standbys and etcd"},
    };
    return all;
}

Role faultRole(FaultKind k) {
    switch (k) {
        case FaultKind::KillGateway:
        case FaultKind::StopGateway: return Role::Gateway;
        case FaultKind::KillBroker:
        case FaultKind::StopBroker: return Role::Broker;
        case FaultKind::KillLeader:
        case FaultKind::StopLeader: return Role::Command;
        default: return Role::Query;
    }
}

bool isStopFault(FaultKind k) {
    return k == FaultKind::Stop || k == FaultKind::StopGateway || k == FaultKind::StopBroker || k == FaultKind::StopLeader;
}

Result<Millis> parseDuration(std::string_view text, std::string_view option) {
    const auto bad = [&] {
        return makeError("bad_option", fmt::format("{} '{}' is not a duration: use e.g. 60s, 1.5s, 500ms, 2m or plain "
                                                   "milliseconds (1500), greater than zero",
                                                   option, text));
    };
    std::size_t digits = 0;
    while (digits < text.size() && (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.'))
        ++digits;
    const std::string number(text.substr(0, digits));
    const std::string_view unit = text.substr(digits);
    double value = 0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (number.empty() || ec != std::errc{} || end != number.data() + number.size()) return bad();
    double factor = 0;
    if (unit.empty() || unit == "ms") factor = 1;
    else if (unit == "s") factor = 1000;
    else if (unit == "m" || unit == "min") factor = 60000;
    else return bad();
    const double ms = std::round(value * factor);
    // A day is far beyond any sensible experiment; the bound keeps the conversion exact.
    if (ms < 1 || ms > 86'400'000.0) return bad();
    return Millis(static_cast<int64_t>(ms));
}

Result<std::vector<FaultKind>> parseFaults(std::string_view text) {
    std::vector<FaultKind> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        const std::string_view word = text.substr(start, comma - start);
        std::optional<FaultKind> kind;
        std::string names;
        for (FaultKind k : allFaultKinds()) {
            if (word == faultKindName(k)) kind = k;
            names += fmt::format("{}{}", names.empty() ? "" : ", ", faultKindName(k));
        }
        if (!kind)
            return makeError("bad_option", fmt::format("--faults: unknown fault '{}' in '{}' (accepted: a comma-separated "
                                                       "list of {})",
                                                       word, text, names));
        if (std::find(out.begin(), out.end(), *kind) != out.end())
            return makeError("bad_option", fmt::format("--faults: '{}' is listed twice in '{}'", word, text));
        out.push_back(*kind);
        start = comma + 1;
    }
    return out;
}

}  // namespace jupiter::chaos
