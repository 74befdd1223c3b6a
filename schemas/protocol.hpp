// The client protocol beyond the message catalogue: every error code with who sends it, when, and
// what a client does about it, and the prose of the specification (framing, sockets, addressing,
// keys, idempotency, limits, timings, a walk-through), rendered into schemas/README.md.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace jupiter {

struct ErrorSpec {
    std::string_view code;
    std::string_view sentBy;  // which nodes send it
    std::string_view when;
    std::string_view then;    // what a client does
};

// Every error code a node sends to a client or to another node.
const std::vector<ErrorSpec>& errorCatalog();
bool knownErrorCode(std::string_view code);

// The specification's text for clients (Markdown), with the error table.
std::string protocolMarkdown();

}  // namespace jupiter
