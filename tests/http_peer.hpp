// A plain HTTP/1.1 peer for tests of what a daemon serves over HTTP (the monitor's console): one
// request on its own loopback connection, the answer read as raw text. Reads are bounded, so a
// broken server fails a test and never hangs it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include <doctest/doctest.h>

namespace jupiter::testing {

class HttpPeer {
public:
    HttpPeer(int port, const std::string& request) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in at{};
        at.sin_family = AF_INET;
        at.sin_port = htons(static_cast<uint16_t>(port));
        at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&at), sizeof at) == 0);
        REQUIRE(::send(fd_, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
    }
    ~HttpPeer() { ::close(fd_); }
    HttpPeer(const HttpPeer&) = delete;
    HttpPeer& operator=(const HttpPeer&) = delete;

    // Reads until `text` has come (true), or 5 s passed or the server closed without it (false).
    bool readUntil(const std::string& text) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (received.find(text) == std::string::npos) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0 || !readSome(static_cast<int>(left.count()))) return false;
        }
        return true;
    }
    // Whatever has come by now, without waiting.
    const std::string& readNow() {
        while (readSome(0)) {
        }
        return received;
    }
    // The whole answer (the server closes the connection after it).
    std::string readAll() {
        while (readSome(5000)) {
        }
        return received;
    }
    std::string received;

private:
    bool readSome(int timeoutMs) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, timeoutMs) <= 0) return false;
        char buf[4096];
        const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) return false;
        received.append(buf, static_cast<std::size_t>(n));
        return true;
    }
    int fd_ = -1;
};

inline std::string httpGet(const std::string& path, const std::string& headers = "") {
    return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + "\r\n";
}

}  // namespace jupiter::testing
