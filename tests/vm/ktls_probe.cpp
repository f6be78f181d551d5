// Runs in the kTLS VM: which io_uring send paths does a TLS_TX socket accept on this
// kernel? Prints one line per path; uringd's choices are documented from these.
#include <liburing.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

namespace {

int connected_pair(int& server) {
    const int l = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(l, 1);
    getsockname(l, reinterpret_cast<sockaddr*>(&a), &len);
    const int c = socket(AF_INET, SOCK_STREAM, 0);
    connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a);
    server = accept(l, nullptr, nullptr);
    close(l);
    return c;
}

bool install_tx(int fd) {
    tls12_crypto_info_aes_gcm_128 info{};
    info.info.version = TLS_1_3_VERSION;
    info.info.cipher_type = TLS_CIPHER_AES_GCM_128;
    return setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof "tls") == 0 &&
           setsockopt(fd, SOL_TLS, TLS_TX, &info, sizeof info) == 0;
}

// One operation on a fresh kTLS socket; prints its first CQE's result.
template <typename Prep>
void probe(const char* name, Prep prep) {
    int peer = -1;
    const int fd = connected_pair(peer);
    if (!install_tx(fd)) {
        std::printf("%s: cannot install TLS_TX: %s\n", name, std::strerror(errno));
        return;
    }
    io_uring ring;
    io_uring_queue_init(8, &ring, 0);
    std::vector<char> buf(65536, 'x');
    prep(io_uring_get_sqe(&ring), fd, buf);
    io_uring_submit(&ring);
    io_uring_cqe* cqe;
    io_uring_wait_cqe(&ring, &cqe);
    const int res = cqe->res;
    std::printf("%s: %s%s\n", name, res >= 0 ? "ok, " : "refused, ",
                res >= 0 ? (std::to_string(res) + " bytes").c_str() : std::strerror(-res));
    io_uring_queue_exit(&ring);
    close(fd);
    close(peer);
}

}  // namespace

int main() {
    probe("SEND", [](io_uring_sqe* s, int fd, std::vector<char>& b) {
        io_uring_prep_send(s, fd, b.data(), b.size(), MSG_NOSIGNAL);
    });
    probe("SEND with MSG_WAITALL", [](io_uring_sqe* s, int fd, std::vector<char>& b) {
        io_uring_prep_send(s, fd, b.data(), b.size(), MSG_NOSIGNAL | MSG_WAITALL);
    });
    probe("SEND_ZC", [](io_uring_sqe* s, int fd, std::vector<char>& b) {
        io_uring_prep_send_zc(s, fd, b.data(), b.size(), MSG_NOSIGNAL, 0);
    });
    static int pipefd[2];
    probe("SPLICE pipe->socket", [](io_uring_sqe* s, int fd, std::vector<char>& b) {
        pipe(pipefd);
        write(pipefd[1], b.data(), 4096);
        io_uring_prep_splice(s, pipefd[0], -1, fd, -1, 4096, 0);
    });
    return 0;
}
