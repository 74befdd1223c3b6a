// A watch on one etcd key, for the elector's thread: a standing POST /v3/watch to the member the
// client last talked to (etcd's JSON gateway answers with a stream, one JSON message a line: the
// watch created, then the key's events, https://etcd.io/docs/v3.4/dev-guide/api_grpc_gateway/),
// driven through libcurl's multi interface so that the thread waits on the stream, its own
// deadline and wake() at once. News of the key - an event, or the watch (re)opened, since what
// happened while it was shut is unknown - ends a wait, and the elector reads the key: a standby
// learns that the leader key is gone when it goes, without polling etcd for it.
//
// A member that dies or refuses ends the stream; the watch opens again at most every 250 ms, on
// whichever member the client last talked to. A member cut off from the others delivers nothing
// and says nothing, which is why a standby still reads the key now and then while watching
// (ElectorSettings::watchedPoll), through the quorum every other time: that read fails there, the
// client moves on, and the watch follows it.
#pragma once

#include <atomic>
#include <string>

#include "common/clock.hpp"
#include "election/etcd_client.hpp"

namespace jupiter {

class EtcdWatch {
public:
    EtcdWatch(EtcdClient& client, std::string key);
    ~EtcdWatch();
    EtcdWatch(const EtcdWatch&) = delete;
    EtcdWatch& operator=(const EtcdWatch&) = delete;

    // Waits until `until` on `clock` or a wake(), keeping the watch open meanwhile. True as soon as
    // there is news of the key; false at `until` or on wake().
    bool wait(const Clock& clock, TimePoint until);
    // From any thread: the current wait, or the next if none is under way, returns at once.
    void wake();
    // Whether etcd has confirmed the watch, and its stream is still up.
    bool open() const { return open_; }

private:
    void start(TimePoint now);
    void finish(TimePoint now);
    // Reads the complete messages received; true on news. Ends the stream on an error message.
    bool readMessages(TimePoint now);

    EtcdClient& client_;
    std::string body_;      // the create request
    void* multi_ = nullptr; // CURLM*
    void* easy_ = nullptr;  // CURL*: the stream
    void* headers_ = nullptr;  // curl_slist*
    std::string endpoint_;  // the member watched
    std::string received_;  // what the stream has sent and is not read yet
    bool running_ = false;  // a transfer is under way
    bool open_ = false;     // ... and etcd said the watch is created
    bool renewToken_ = false;
    TimePoint retryAt_{};
    std::atomic<bool> woken_{false};
};

}  // namespace jupiter
