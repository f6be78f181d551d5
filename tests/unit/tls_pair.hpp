#pragma once
// Test support: a real OpenSSL client talking to a uringd tls::Session through two
// in-memory byte queues, the server side pumped step by step as the worker would.
#include <uringd/tls/context.hpp>
#include <uringd/tls/session.hpp>

#include <openssl/bio.h>

#include <array>
#include <functional>
#include <string>
#include <vector>

namespace uringd::test {

struct TlsPair {
    using Status = tls::Session::Status;

    TlsPair(SSL_CTX* server_ctx, int version, const char* cipher, const char* sni = nullptr)
        : client_ctx(SSL_CTX_new(TLS_client_method())),
          to_server(BIO_new(BIO_s_mem())),
          to_client(BIO_new(BIO_s_mem())),
          server(server_ctx) {
        SSL_CTX_set_min_proto_version(client_ctx.get(), version);
        SSL_CTX_set_max_proto_version(client_ctx.get(), version);
        if (version == TLS1_3_VERSION) SSL_CTX_set_ciphersuites(client_ctx.get(), cipher);
        else SSL_CTX_set_cipher_list(client_ctx.get(), cipher);
        SSL_CTX_set_alpn_protos(client_ctx.get(), reinterpret_cast<const unsigned char*>("\x02h2\x08http/1.1"), 12);
        client = SSL_new(client_ctx.get());
        SSL_set_bio(client, to_client, to_server);  // the SSL owns both BIOs
        if (sni) SSL_set_tlsext_host_name(client, sni);
        SSL_set_connect_state(client);
    }
    TlsPair(const TlsPair&) = delete;
    TlsPair& operator=(const TlsPair&) = delete;
    ~TlsPair() { SSL_free(client); }

    // Runs one server step over what the client sent; what the server wrote into its
    // output span goes to the client.
    Status serve(const std::function<Status()>& step) {
        std::vector<char> in(BIO_ctrl_pending(to_server));
        BIO_read(to_server, in.data(), static_cast<int>(in.size()));
        pending.insert(pending.end(), in.begin(), in.end());
        server.set_input(pending);
        server.set_output(out);
        const Status st = step();
        pending.erase(pending.begin(), pending.end() - static_cast<long>(server.input_left()));
        BIO_write(to_client, out.data(), static_cast<int>(server.output_size()));
        return st;
    }

    bool handshake() {
        for (int i = 0; i < 10; ++i) {
            SSL_do_handshake(client);
            const Status st = serve([&] { return server.handshake(); });
            if (st == Status::Error) return false;
            if (st == Status::Ok && SSL_do_handshake(client) == 1) return true;
        }
        return false;
    }

    // The client re-keys and asks the server to (RFC 8446 §4.6.3), then sends a request
    // under its new keys; the server reads it. Returns the request sent and sets `got`
    // to what the server decrypted.
    std::string key_update_then_request(int i, std::string& got) {
        std::string request = "GET /" + std::to_string(i) + " HTTP/1.1\r\n\r\n";
        if (SSL_key_update(client, SSL_KEY_UPDATE_REQUESTED) != 1 ||
            SSL_write(client, request.data(), static_cast<int>(request.size())) <= 0)
            return "<client failed>";
        std::array<char, 256> plain{};
        std::size_t n = 0;
        serve([&] { return server.read(plain, n); });
        got.assign(plain.data(), n);
        return request;
    }

    std::string client_read_all() {
        std::string got;
        std::array<char, 70000> buf{};
        int r;
        while ((r = SSL_read(client, buf.data(), static_cast<int>(buf.size()))) > 0) got.append(buf.data(), r);
        return got;
    }

    tls::SslCtxPtr client_ctx;
    SSL* client;
    BIO* to_server;
    BIO* to_client;
    tls::Session server;
    std::vector<char> pending;
    std::array<char, 65536> out{};
};

}  // namespace uringd::test
