// Free-port discovery; see ports.hpp.
#include "common/ports.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <random>

namespace jupiter {

bool loopbackPortFree(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    return ok;
}

int findFreePortRange(int count) {
    std::mt19937 rng(std::random_device{}() ^ static_cast<unsigned>(getpid()));
    for (int attempt = 0; attempt < 200; ++attempt) {
        // Below the Linux ephemeral range (32768+), so outgoing connections do not take them.
        const int base = 20000 + static_cast<int>(rng() % 12000);
        bool ok = true;
        for (int p = base; p < base + count && ok; ++p) ok = loopbackPortFree(p);
        if (ok) return base;
    }
    return 0;
}

}  // namespace jupiter
