#include <doctest/doctest.h>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/http_stop.hpp"
#include "common/metrics.hpp"

namespace jupiter {
namespace {

// A listening TCP socket on a free loopback port.
struct Listener {
    int fd = -1;
    int port = 0;
    Listener() {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::listen(fd, 16) == 0);
        socklen_t len = sizeof a;
        REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
        port = ntohs(a.sin_port);
    }
    ~Listener() { ::close(fd); }
    // Waits, as civetweb's listener does, up to `ms` for a connection; whether one came.
    bool waitForConnection(int ms) const {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, ms) != 1) return false;
        const int c = ::accept(fd, nullptr, nullptr);
        if (c >= 0) ::close(c);
        return c >= 0;
    }
};

}  // namespace

TEST_CASE("http stop: a knock connects to a listening port and is accepted - a closed port is no knock") {
    int closedPort = 0;
    {
        Listener l;
        CHECK(knock("127.0.0.1", l.port));
        CHECK(l.waitForConnection(5000));
        CHECK(knock("0.0.0.0", l.port));  // a wildcard address is knocked at on loopback
        CHECK(l.waitForConnection(5000));
        closedPort = l.port;
    }
    CHECK_FALSE(knock("127.0.0.1", closedPort));
}

TEST_CASE("http stop: a stop that waits for its listener's poll is woken by the knocks, not by the poll's end") {
    Listener l;
    bool woken = false;
    // Like civetweb's mg_stop: the listener sees the stop only when its poll ends. Without knocks
    // this poll would run its whole 30 s and find nothing.
    stopWaking("127.0.0.1", l.port, [&] { woken = l.waitForConnection(30000); });
    CHECK(woken);
}

TEST_CASE("http stop: a daemon's metrics server stops and frees its port") {
    Metrics m("test");
    REQUIRE(m.serve("127.0.0.1:0").ok());
    const auto port = m.port();
    REQUIRE(port);
    CHECK(knock("127.0.0.1", *port));
    m.stopServing();
    CHECK_FALSE(m.port());
    CHECK_FALSE(knock("127.0.0.1", *port));
}

}  // namespace jupiter
