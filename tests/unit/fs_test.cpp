#include <uringd/fs/file.hpp>

#include "../support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

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
    void TearDown() override { ::close(root_); }
    uringd::testing::TempDir tmp_{"uringd-fs"};
    const std::string dir_ = tmp_.path();
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

// ---- FileCache ------------------------------------------------------------

#include <uringd/fs/file_cache.hpp>

namespace {

struct statx stat_of(std::size_t size, long mtime = 1700000000) {
    struct statx st {};
    st.stx_mode = S_IFREG | 0644;
    st.stx_size = size;
    st.stx_mtime.tv_sec = mtime;
    return st;
}

UniqueFd dev_null() { return UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC)); }

}  // namespace

TEST(FileCache, HitMissAndRevalidation) {
    fs::FileCache cache({.max_entries = 8, .valid_ms = 1000});
    EXPECT_EQ(cache.lookup("a", 0), nullptr);
    auto* f = cache.insert("a", dev_null(), stat_of(10), 100);
    EXPECT_EQ(f->etag, "\"a-6553f10000000000\"");
    EXPECT_EQ(f->last_modified, "Tue, 14 Nov 2023 22:13:20 GMT");
    EXPECT_EQ(cache.lookup("a", 1099), f);
    EXPECT_EQ(cache.lookup("a", 1100), nullptr);  // older than valid_ms: open again
    EXPECT_EQ(cache.hits(), 1u);
    EXPECT_EQ(cache.misses(), 2u);
}

TEST(FileCache, NegativeEntries) {
    fs::FileCache cache({});
    cache.insert_error("missing", ENOENT, 0);
    auto* f = cache.lookup("missing", 10);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->error, ENOENT);
    EXPECT_FALSE(f->fd);
}

TEST(FileCache, LastKnownOutlivesValidityButNotInvalidation) {
    fs::FileCache cache({.max_entries = 8, .valid_ms = 1000});
    auto* f = cache.insert("a", dev_null(), stat_of(10), 0);
    cache.insert_error("gone", ENOENT, 0);
    EXPECT_EQ(cache.lookup("a", 5000), nullptr);
    EXPECT_EQ(cache.last_known("a"), f);  // expired, still holding its file
    EXPECT_EQ(cache.last_known("gone"), nullptr);
    EXPECT_EQ(cache.last_known("never"), nullptr);
    fs::FileCache::invalidate(f);  // changed under us: never served again
    EXPECT_EQ(cache.last_known("a"), nullptr);
}

TEST(FileCache, LruEvictionByCount) {
    fs::FileCache cache({.max_entries = 2, .valid_ms = 1000000});
    cache.insert("a", dev_null(), stat_of(1), 0);
    cache.insert("b", dev_null(), stat_of(1), 0);
    ASSERT_NE(cache.lookup("a", 1), nullptr);  // a is now the most recent
    cache.insert("c", dev_null(), stat_of(1), 2);
    EXPECT_EQ(cache.size(), 2u);
    EXPECT_NE(cache.lookup("a", 3), nullptr);
    EXPECT_EQ(cache.lookup("b", 3), nullptr);
    EXPECT_NE(cache.lookup("c", 3), nullptr);
}

TEST(FileCache, HeldEntryOutlivesReplacementAndEviction) {
    fs::FileCache cache({.max_entries = 1, .valid_ms = 1000000});
    auto* old = cache.insert("a", dev_null(), stat_of(5), 0);
    const int fd = old->fd.get();
    fs::FileRef held = cache.ref(old);
    cache.insert("a", dev_null(), stat_of(6), 1);  // replaced (file changed on disk)
    EXPECT_EQ(cache.retired(), 1u);
    EXPECT_TRUE(held->retired);
    EXPECT_GE(fcntl(fd, F_GETFD), 0) << "fd closed while a connection still used it";
    cache.insert("b", dev_null(), stat_of(1), 2);  // evicts the new "a"; nobody holds it
    EXPECT_EQ(cache.retired(), 1u);
    held.reset();
    EXPECT_EQ(cache.retired(), 0u);
    EXPECT_EQ(fcntl(fd, F_GETFD), -1);
}

TEST(FileCache, SmallBodiesWithinBudget) {
    fs::FileCache cache({.max_entries = 8, .valid_ms = 1000000, .small_file_max = 4, .body_budget = 6});
    auto* a = cache.insert("a", dev_null(), stat_of(4), 0);
    auto* big = cache.insert("big", dev_null(), stat_of(5), 0);
    EXPECT_FALSE(cache.wants_body(*big));
    EXPECT_TRUE(cache.keep_body(a, std::span<const char>("abcd", 4)));
    EXPECT_FALSE(cache.keep_body(a, std::span<const char>("abcd", 4)));  // already kept
    EXPECT_EQ(cache.body_bytes(), 4u);
    auto* b = cache.insert("b", dev_null(), stat_of(3), 1);
    EXPECT_TRUE(cache.keep_body(b, std::span<const char>("xyz", 3)));  // over budget: LRU "a" goes
    EXPECT_EQ(cache.body_bytes(), 3u);
    EXPECT_EQ(cache.lookup("a", 2), nullptr);
    EXPECT_FALSE(cache.keep_body(b, std::span<const char>("xy", 2)));
}

TEST(FileCache, InvalidatedByKeyOrAllAndInsertsReported) {
    fs::FileCache cache({.max_entries = 8, .valid_ms = 1000});
    std::vector<std::string> inserted;
    cache.on_insert([&](std::string_view key) { inserted.emplace_back(key); });
    cache.insert("a", dev_null(), stat_of(1), 0);
    cache.insert("b", dev_null(), stat_of(1), 0);
    cache.insert_error("c", ENOENT, 0);
    EXPECT_EQ(inserted, (std::vector<std::string>{"a", "b", "c"}));
    cache.invalidate("a");
    cache.invalidate("nothing");
    EXPECT_EQ(cache.lookup("a", 1), nullptr);
    EXPECT_NE(cache.lookup("b", 1), nullptr);
    EXPECT_EQ(cache.last_known("a"), nullptr);  // changed on disk: not served as the last known version
    cache.invalidate_all();
    EXPECT_EQ(cache.lookup("b", 1), nullptr);
    EXPECT_EQ(cache.lookup("c", 1), nullptr);
}

// ---- ChangeWatch ------------------------------------------------------------

#include <uringd/fs/change_watch.hpp>

#include <poll.h>

namespace {

// The changes after `act`, once the kernel has queued them.
std::vector<fs::ChangeWatch::Change> changes_after(fs::ChangeWatch& w, const std::function<void()>& act) {
    act();
    pollfd p{w.fd(), POLLIN, 0};
    EXPECT_EQ(::poll(&p, 1, 2000), 1);
    return w.read_changes();
}

bool names(const std::vector<fs::ChangeWatch::Change>& changes, std::string_view dir, std::string_view entry) {
    for (const auto& c : changes)
        if (c.prefix == "s" && c.dir == dir && c.entry == entry && !c.everything) return true;
    return false;
}

bool everything(const std::vector<fs::ChangeWatch::Change>& changes) {
    for (const auto& c : changes)
        if (c.everything) return true;
    return false;
}

}  // namespace

TEST_F(RootTest, ChangeWatchOffWatchesNothing) {
    fs::ChangeWatch off(false);
    EXPECT_EQ(off.fd(), -1);
    EXPECT_EQ(off.error(), 0);  // off by choice, not refused
    off.watch("s", root_, "sub");
    EXPECT_EQ(off.watched(), 0u);
    EXPECT_TRUE(off.read_changes().empty());
}

TEST(ChangeWatch, ParentDir) {
    EXPECT_EQ(fs::parent_dir("a/b/c.txt"), "a/b");
    EXPECT_EQ(fs::parent_dir("c.txt"), "");
    EXPECT_EQ(fs::parent_dir(""), "");
}

TEST_F(RootTest, ChangeWatchNamesWhatChanged) {
    fs::ChangeWatch w;
    ASSERT_GE(w.fd(), 0);
    w.watch("s", root_, "sub");
    EXPECT_EQ(w.watched(), 2u);  // sub and the root above it
    w.watch("s", root_, "sub");
    EXPECT_EQ(w.watched(), 2u);  // once
    EXPECT_TRUE(w.read_changes().empty());

    const std::string sub = dir_ + "/root/sub";
    EXPECT_TRUE(names(changes_after(w, [&] { std::ofstream(sub + "/new.txt") << "x"; }), "sub", "new.txt"));
    EXPECT_TRUE(
        names(changes_after(w, [&] { std::ofstream(sub + "/new.txt", std::ios::app) << "y"; }), "sub", "new.txt"));
    EXPECT_TRUE(names(changes_after(w, [&] { ::rename((sub + "/new.txt").c_str(), (sub + "/b.txt").c_str()); }), "sub",
                      "b.txt"));
    EXPECT_TRUE(names(changes_after(w, [&] { ::unlink((sub + "/b.txt").c_str()); }), "sub", "b.txt"));
    EXPECT_TRUE(names(changes_after(w, [&] { std::ofstream(dir_ + "/root/in.txt") << "changed"; }), "", "in.txt"));
    // A directory that comes or goes: nothing cached below it can be trusted.
    EXPECT_TRUE(everything(changes_after(w, [&] { ::mkdir((dir_ + "/root/d2").c_str(), 0755); })));
    EXPECT_TRUE(everything(changes_after(w, [&] { ::rename(sub.c_str(), (dir_ + "/root/moved").c_str()); })));
}

TEST_F(RootTest, ChangeWatchSeesAMissingDirectoryAppear) {
    fs::ChangeWatch w;
    w.watch("s", root_, "later/deeper");  // neither exists: the root is watched
    EXPECT_EQ(w.watched(), 1u);
    EXPECT_TRUE(everything(changes_after(w, [&] { ::mkdir((dir_ + "/root/later").c_str(), 0755); })));
}
