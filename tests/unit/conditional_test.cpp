#include <uringd/http/conditional.hpp>
#include <uringd/http/date.hpp>

#include <gtest/gtest.h>

#include <initializer_list>
#include <utility>

using namespace uringd::http;

namespace {

constexpr std::time_t kMtime = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
const Validators kV{"\"abc\"", kMtime};

Request with(std::initializer_list<std::pair<std::string_view, std::string_view>> headers) {
    Request r;
    r.method = Method::Get;
    for (const auto& [n, v] : headers) r.headers[r.header_count++] = {n, v};
    return r;
}

}  // namespace

TEST(HttpDate, ThreeFormsParse) {
    EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), kMtime);
    EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), kMtime);
    EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), kMtime);
    EXPECT_EQ(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
}

TEST(HttpDate, GarbageIsRejected) {
    for (const char* s : {"", "yesterday", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Foo 1994 08:49:37 GMT",
                          "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 6 Nov 1994 08:49:37 GMT", "Sun Nov  6 08:49:37",
                          "Sunday, 06-Nov-94 08:49:37", "Sun, 00 Nov 1994 08:49:37 GMT"})
        EXPECT_FALSE(parse_http_date(s)) << s;
}

TEST(EtagMatch, WeakAndStrongComparison) {
    EXPECT_TRUE(etag_matches("\"abc\"", "\"abc\"", false));
    EXPECT_TRUE(etag_matches("W/\"abc\"", "\"abc\"", true));
    EXPECT_FALSE(etag_matches("W/\"abc\"", "\"abc\"", false));
    EXPECT_TRUE(etag_matches("\"x\", W/\"abc\"", "\"abc\"", true));
    EXPECT_TRUE(etag_matches(" \"x\" ,, \"abc\" ", "\"abc\"", false));
    EXPECT_TRUE(etag_matches("*", "\"abc\"", false));
    EXPECT_FALSE(etag_matches("\"abcd\"", "\"abc\"", true));
    EXPECT_FALSE(etag_matches("abc", "\"abc\"", true));            // unquoted: malformed
    EXPECT_FALSE(etag_matches("\"x\" \"abc\"", "\"abc\"", true));  // no comma
    EXPECT_FALSE(etag_matches("\"abc", "\"abc\"", true));
}

TEST(Preconditions, NoneMeansProceed) { EXPECT_EQ(evaluate_preconditions(with({}), kV), Precondition::Proceed); }

TEST(Preconditions, IfNoneMatch) {
    EXPECT_EQ(evaluate_preconditions(with({{"If-None-Match", "\"abc\""}}), kV), Precondition::NotModified);
    EXPECT_EQ(evaluate_preconditions(with({{"if-none-match", "W/\"abc\""}}), kV), Precondition::NotModified);
    EXPECT_EQ(evaluate_preconditions(with({{"If-None-Match", "*"}}), kV), Precondition::NotModified);
    EXPECT_EQ(evaluate_preconditions(with({{"If-None-Match", "\"old\""}}), kV), Precondition::Proceed);
}

TEST(Preconditions, IfModifiedSince) {
    EXPECT_EQ(evaluate_preconditions(with({{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}}), kV),
              Precondition::NotModified);
    EXPECT_EQ(evaluate_preconditions(with({{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:36 GMT"}}), kV),
              Precondition::Proceed);
    EXPECT_EQ(evaluate_preconditions(with({{"If-Modified-Since", "not a date"}}), kV), Precondition::Proceed);
}

TEST(Preconditions, IfNoneMatchOverridesIfModifiedSince) {
    // §13.2.2: If-Modified-Since is only looked at without If-None-Match.
    EXPECT_EQ(evaluate_preconditions(
                  with({{"If-None-Match", "\"old\""}, {"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}}), kV),
              Precondition::Proceed);
}

TEST(Preconditions, IfMatch) {
    EXPECT_EQ(evaluate_preconditions(with({{"If-Match", "\"abc\""}}), kV), Precondition::Proceed);
    EXPECT_EQ(evaluate_preconditions(with({{"If-Match", "*"}}), kV), Precondition::Proceed);
    EXPECT_EQ(evaluate_preconditions(with({{"If-Match", "\"old\""}}), kV), Precondition::Failed);
    EXPECT_EQ(evaluate_preconditions(with({{"If-Match", "W/\"abc\""}}), kV), Precondition::Failed);  // strong
}

TEST(Preconditions, IfUnmodifiedSince) {
    EXPECT_EQ(evaluate_preconditions(with({{"If-Unmodified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}}), kV),
              Precondition::Proceed);
    EXPECT_EQ(evaluate_preconditions(with({{"If-Unmodified-Since", "Sat, 05 Nov 1994 08:49:37 GMT"}}), kV),
              Precondition::Failed);
    EXPECT_EQ(evaluate_preconditions(with({{"If-Unmodified-Since", "garbage"}}), kV), Precondition::Proceed);
}

TEST(Preconditions, IfMatchOverridesIfUnmodifiedSince) {
    EXPECT_EQ(evaluate_preconditions(
                  with({{"If-Match", "\"abc\""}, {"If-Unmodified-Since", "Sat, 05 Nov 1994 08:49:37 GMT"}}), kV),
              Precondition::Proceed);
}

TEST(Preconditions, FailedBeforeNotModified) {
    EXPECT_EQ(evaluate_preconditions(with({{"If-Match", "\"old\""}, {"If-None-Match", "\"abc\""}}), kV),
              Precondition::Failed);
}

TEST(IfRange, EtagAndDate) {
    EXPECT_TRUE(if_range_holds(with({}), kV));
    EXPECT_TRUE(if_range_holds(with({{"If-Range", "\"abc\""}}), kV));
    EXPECT_FALSE(if_range_holds(with({{"If-Range", "\"old\""}}), kV));
    EXPECT_FALSE(if_range_holds(with({{"If-Range", "W/\"abc\""}}), kV));
    EXPECT_TRUE(if_range_holds(with({{"If-Range", "Sun, 06 Nov 1994 08:49:37 GMT"}}), kV));
    EXPECT_FALSE(if_range_holds(with({{"If-Range", "Sun, 06 Nov 1994 08:49:38 GMT"}}), kV));
    EXPECT_FALSE(if_range_holds(with({{"If-Range", "garbage"}}), kV));
}
