// Injected time. Liveness, timeouts and retries read time only through a Clock so that tests can
// drive them with ManualClock instead of sleeping.
#pragma once

#include <chrono>
#include <cstdint>

namespace jupiter {

using Millis = std::chrono::milliseconds;
using Micros = std::chrono::microseconds;
using TimePoint = std::chrono::steady_clock::time_point;

class Clock {
public:
    virtual ~Clock() = default;
    // Monotonic time for deadlines and intervals.
    virtual TimePoint now() const = 0;
    // Wall-clock time in milliseconds since the Unix epoch, for logs and business dates.
    virtual int64_t wallMs() const = 0;
};

class SystemClock final : public Clock {
public:
    TimePoint now() const override { return std::chrono::steady_clock::now(); }
    int64_t wallMs() const override {
        return std::chrono::duration_cast<Millis>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    }
};

// A clock that only moves when told to; for unit tests of time-dependent logic.
class ManualClock final : public Clock {
public:
    explicit ManualClock(int64_t wallMs = 1'700'000'000'000) : wall_(wallMs) {}
    TimePoint now() const override { return t_; }
    int64_t wallMs() const override { return wall_; }
    void advance(Millis d) {
        t_ += d;
        wall_ += d.count();
    }
    // A step shorter than a millisecond (the wall clock, in milliseconds, keeps whole ones only).
    void advance(Micros d) {
        t_ += d;
        wall_ += d.count() / 1000;
    }

private:
    TimePoint t_{};
    int64_t wall_;
};

inline int64_t toMs(TimePoint::duration d) { return std::chrono::duration_cast<Millis>(d).count(); }
// In seconds, the unit Prometheus metrics use.
inline double toSeconds(Micros d) { return static_cast<double>(d.count()) / 1e6; }

// ISO-8601 UTC with milliseconds, e.g. 2026-11-28T10:15:01.123Z.
std::string formatUtcMs(int64_t epochMs);

}  // namespace jupiter
