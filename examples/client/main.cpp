// An out-of-tree program using Jupiter's installed C++ client library: it registers a product
// and reads it back with read-your-writes. Usage: jupiter-client-example CLUSTER_DIR [CODE]
#include <iostream>

#include <jupiter/client.hpp>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: " << argv[0] << " CLUSTER_DIR [CODE]\n";
        return 2;
    }
    namespace jc = jupiter::client;
    jc::Client client(jc::clusterOptions(argv[1]));
    const std::string code = argc > 2 ? argv[2] : "EX-1";
    const jc::Reply made = client.command("product.create", {{"code", code}, {"description", "example"}, {"price", 4.25}});
    if (!made.ok) {
        std::cerr << "product.create: " << made.error().code << ": " << made.error().message << "\n";
        return 1;
    }
    const jc::Reply row = client.query("product.get", {{"id", made.body["id"]}}, client.lastSeq());
    if (!row.ok) {
        std::cerr << "product.get: " << row.error().code << ": " << row.error().message << "\n";
        return 1;
    }
    const jc::Reply bad = client.query("product.get", {{"id", 999999}});
    std::cout << "product " << row.body["id"] << " " << row.body["code"].get<std::string>() << " "
              << row.body["price_cents"] << " cents at seq " << client.lastSeq() << "; missing: " << bad.error().code
              << " (" << bad.error().field << ")\n";
    return 0;
}
