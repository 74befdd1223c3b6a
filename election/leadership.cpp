// Leadership rules; see leadership.hpp.
#include "election/leadership.hpp"

namespace jupiter {

std::string_view leaderRoleName(LeaderRole r) {
    switch (r) {
        case LeaderRole::Leader: return "leader";
        case LeaderRole::Standby: return "standby";
        case LeaderRole::Unknown: break;
    }
    return "unknown";
}

bool mayCampaign(LogPosition self, const std::vector<std::optional<LogPosition>>& others) {
    std::size_t doubtful = 0;  // silent, or ahead of us
    for (const auto& o : others)
        if (!o || *o > self) ++doubtful;
    return doubtful <= 1;
}

}  // namespace jupiter
