#include <uringd/fs/file.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <string>

using namespace uringd;

namespace {

// openat2 exactly as the server issues it (through the ring), as a plain syscall.
int open_beneath(int root, const char* path) {
    open_how how = fs::root_open_how();
    const long fd = syscall(SYS_openat2, root, path, &how, sizeof how);
    return fd < 0 ? -errno : static_cast<int>(fd);
}

class RootTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/uringd-fs-XXXXXX";
        dir_ = mkdtemp(tmpl);
        mkdir((dir_ + "/root").c_str(), 0755);
        mkdir((dir_ + "/root/sub").c_str(), 0755);
        std::ofstream(dir_ + "/secret") << "outside";
        std::ofstream(dir_ + "/root/in.txt") << "inside";
        symlink("../secret", (dir_ + "/root/escape").c_str());
        symlink("/etc/passwd", (dir_ + "/root/abs").c_str());
        symlink("../in.txt", (dir_ + "/root/sub/ok").c_str());
        mkfifo((dir_ + "/root/fifo").c_str(), 0644);
        root_ = ::open((dir_ + "/root").c_str(), O_PATH | O_DIRECTORY);
    }
    void TearDown() override {
        ::close(root_);
        std::system(("rm -rf " + dir_).c_str());
    }
    std::string dir_;
    int root_ = -1;
};

}  // namespace

TEST_F(RootTest, KernelConfinesToRoot) {
    int fd = open_beneath(root_, "in.txt");
    ASSERT_GE(fd, 0);
    ::close(fd);
    fd = open_beneath(root_, "sub/ok");  // a symlink that stays inside
    ASSERT_GE(fd, 0);
    ::close(fd);
    EXPECT_EQ(open_beneath(root_, "escape"), -EXDEV);
    EXPECT_EQ(open_beneath(root_, "abs"), -EXDEV);
    EXPECT_EQ(open_beneath(root_, "../secret"), -EXDEV);
    EXPECT_EQ(open_beneath(root_, "/etc/passwd"), -EXDEV);
    EXPECT_EQ(fs::classify_open_error(EXDEV).status, http::Status::Forbidden);
}

TEST_F(RootTest, FifoOpensWithoutBlockingAndIsOther) {
    const int fd = open_beneath(root_, "fifo");
    ASSERT_GE(fd, 0);
    struct statx st {};
    ASSERT_EQ(statx(fd, "", AT_EMPTY_PATH, STATX_TYPE, &st), 0);
    EXPECT_EQ(fs::kind_of(st), fs::FileKind::Other);
    ::close(fd);
}

TEST_F(RootTest, ClearNonblock) {
    const int fd = open_beneath(root_, "in.txt");
    ASSERT_GE(fd, 0);
    EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);
    EXPECT_EQ(fs::clear_nonblock(fd), 0);
    EXPECT_FALSE(fcntl(fd, F_GETFL) & O_NONBLOCK);
    ::close(fd);
}

TEST(FsErrors, Classification) {
    EXPECT_EQ(fs::classify_open_error(ENOENT).status, http::Status::NotFound);
    EXPECT_EQ(fs::classify_open_error(ENOENT).severity, fs::Severity::Quiet);
    EXPECT_EQ(fs::classify_open_error(ENOTDIR).status, http::Status::NotFound);
    EXPECT_EQ(fs::classify_open_error(EACCES).status, http::Status::Forbidden);
    EXPECT_EQ(fs::classify_open_error(ELOOP).status, http::Status::Forbidden);
    EXPECT_EQ(fs::classify_open_error(EMFILE).status, http::Status::ServiceUnavailable);
    EXPECT_EQ(fs::classify_open_error(EIO).status, http::Status::InternalServerError);
    EXPECT_EQ(fs::classify_open_error(EIO).severity, fs::Severity::Loud);
}

TEST(FsEtag, ChangesWithSizeAndMtime) {
    struct statx a {};
    a.stx_size = 1024;
    a.stx_mtime.tv_sec = 1700000000;
    a.stx_mtime.tv_nsec = 5;
    char ea[fs::kEtagMax], eb[fs::kEtagMax];
    const std::string first(ea, fs::format_etag(a, ea));
    EXPECT_EQ(first, "\"400-6553f10000000005\"");
    a.stx_mtime.tv_nsec = 6;
    EXPECT_NE(first, std::string(eb, fs::format_etag(a, eb)));
}
