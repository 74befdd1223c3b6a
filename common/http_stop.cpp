// Stopping civetweb servers without their poll's wait; see http_stop.hpp.
#include "common/http_stop.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>

namespace jupiter {

namespace {

std::string knockHost(const std::string& host) {
    std::string h = host;
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    if (h.empty() || h == "0.0.0.0") return "127.0.0.1";
    if (h == "::") return "::1";
    return h;
}

}  // namespace

bool knock(const std::string& host, int port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    if (getaddrinfo(knockHost(host).c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found) return false;
    bool connected = false;
    for (addrinfo* a = found; a && !connected; a = a->ai_next) {
        const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
            connected = true;
        } else if (errno == EINPROGRESS) {
            // Loopback answers at once; 100 ms is for a busy machine.
            pollfd p{fd, POLLOUT, 0};
            int err = 0;
            socklen_t len = sizeof err;
            connected = ::poll(&p, 1, 100) == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
        }
        ::close(fd);
    }
    freeaddrinfo(found);
    return connected;
}

void stopWaking(const std::string& host, int port, const std::function<void()>& stop) {
    std::atomic<bool> stopped{false};
    std::thread knocker([&] {
        while (!stopped.load()) {
            knock(host, port);
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    });
    stop();
    stopped = true;
    knocker.join();
}

}  // namespace jupiter
