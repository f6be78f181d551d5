#include <uringd/http/parser.hpp>

#include <gtest/gtest.h>

#include <string>

using namespace uringd::http;
using State = RequestParser::State;

namespace {

struct Parsed {
    State state;
    std::size_t consumed;
};

Parsed parse(RequestParser& p, const std::string& s) {
    const auto r = p.feed(s);
    return {r.state, r.consumed};
}

}  // namespace

TEST(Parser, SimpleGet) {
    RequestParser p;
    const std::string req = "GET /a/b?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\n\r\n";
    const auto r = parse(p, req);
    ASSERT_EQ(r.state, State::Complete);
    EXPECT_EQ(r.consumed, req.size());
    EXPECT_EQ(p.request().method, Method::Get);
    EXPECT_EQ(p.request().target, "/a/b?x=1");
    EXPECT_EQ(p.request().host, "example.com");
    EXPECT_TRUE(p.request().keep_alive);
    EXPECT_EQ(p.request().header("user-agent"), "t");
}

TEST(Parser, HeadersSplitAcrossFeeds) {
    RequestParser p;
    const std::string req = "GET /split HTTP/1.1\r\nHost: h\r\nX-Long: abcdef\r\n\r\n";
    // One byte at a time from one stable buffer, as the connection feeds it.
    for (std::size_t i = 0; i < req.size(); ++i) {
        const auto r = p.feed(std::string_view(req).substr(i, 1));
        if (i + 1 < req.size()) ASSERT_EQ(r.state, State::NeedMore) << i;
        else ASSERT_EQ(r.state, State::Complete);
    }
    EXPECT_EQ(p.request().target, "/split");
    EXPECT_EQ(p.request().header("x-long"), "abcdef");
}

TEST(Parser, PipelinedRequestsOneAtATime) {
    RequestParser p;
    const std::string two = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nHEAD /2 HTTP/1.1\r\nHost: h\r\n\r\n";
    const auto r1 = p.feed(two);
    ASSERT_EQ(r1.state, State::Complete);
    EXPECT_EQ(p.request().target, "/1");
    p.next_request();
    const auto r2 = p.feed(std::string_view(two).substr(r1.consumed));
    ASSERT_EQ(r2.state, State::Complete);
    EXPECT_EQ(p.request().target, "/2");
    EXPECT_EQ(p.request().method, Method::Head);
    EXPECT_EQ(r1.consumed + r2.consumed, two.size());
}

TEST(Parser, KeepAliveRules) {
    {
        RequestParser p;
        parse(p, "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
        EXPECT_FALSE(p.request().keep_alive);
    }
    {
        RequestParser p;
        parse(p, "GET / HTTP/1.0\r\n\r\n");
        EXPECT_FALSE(p.request().keep_alive);
    }
    {
        RequestParser p;
        parse(p, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        EXPECT_TRUE(p.request().keep_alive);
    }
}

TEST(Parser, MissingHostOn11Is400) {
    RequestParser p;
    EXPECT_EQ(parse(p, "GET / HTTP/1.1\r\n\r\n").state, State::Error);
    EXPECT_EQ(p.error_status(), Status::BadRequest);
}

TEST(Parser, DuplicateHostIs400) {
    RequestParser p;
    EXPECT_EQ(parse(p, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").state, State::Error);
    EXPECT_EQ(p.error_status(), Status::BadRequest);
}

TEST(Parser, SmugglingContentLengthAndChunkedIs400) {
    RequestParser p;
    EXPECT_EQ(parse(p, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n").state,
              State::Error);
    EXPECT_EQ(p.error_status(), Status::BadRequest);
}

TEST(Parser, ConflictingContentLengthsIs400) {
    RequestParser p;
    EXPECT_EQ(parse(p, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n").state,
              State::Error);
    EXPECT_EQ(p.error_status(), Status::BadRequest);
}

TEST(Parser, UnknownTransferCodingBeforeChunkedIs501) {
    RequestParser p;
    EXPECT_EQ(parse(p, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").state, State::Error);
    EXPECT_EQ(p.error_status(), Status::NotImplemented);
}

TEST(Parser, TransferCodingNotEndingInChunkedIs400) {
    // RFC 9112 §6.3: the length cannot be known, which outranks §6.1's 501.
    for (const char* te : {"gzip", "chunked, gzip", "identity", "chunked, chunked", ","}) {
        RequestParser p;
        EXPECT_EQ(parse(p, std::string("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ") + te + "\r\n\r\n").state,
                  State::Error)
            << te;
        EXPECT_EQ(p.error_status(), Status::BadRequest) << te;
    }
}

TEST(Parser, OtherMajorVersionsAre505) {
    for (const char* v : {"2.0", "3.0", "0.9", "0.1", "9.9", "2.1"}) {
        RequestParser p;
        EXPECT_EQ(parse(p, std::string("GET / HTTP/") + v + "\r\nHost: h\r\n\r\n").state, State::Error) << v;
        EXPECT_EQ(p.error_status(), Status::VersionNotSupported) << v;
        EXPECT_EQ(p.request().version_major, v[0] - '0') << v;  // as sent, for the access log
        EXPECT_EQ(p.request().version_minor, v[2] - '0') << v;
    }
}

// RFC 9110 §6.2: a later minor version is read as the highest one served.
TEST(Parser, LaterHttp1MinorVersionsAreReadAs11) {
    for (const char* v : {"1.2", "1.9"}) {
        RequestParser p;
        const std::string req = std::string("GET / HTTP/") + v + "\r\nHost: h\r\n\r\n";
        ASSERT_EQ(parse(p, req).state, State::Complete) << v;
        EXPECT_EQ(p.request().version_major, 1) << v;
        EXPECT_EQ(p.request().version_minor, 1) << v;
        EXPECT_TRUE(p.request().keep_alive) << v;
        p.next_request();
        EXPECT_EQ(parse(p, "GET /b HTTP/1.1\r\nHost: h\r\n\r\n").state, State::Complete) << v;
    }
    RequestParser p;  // the Host rule of 1.1 holds for them too
    EXPECT_EQ(parse(p, "GET / HTTP/1.2\r\n\r\n").state, State::Error);
    EXPECT_EQ(p.error_status(), Status::BadRequest);
    p.reset();  // and a parser started over reads them as well
    EXPECT_EQ(parse(p, "GET / HTTP/1.2\r\nHost: h\r\n\r\n").state, State::Complete);
}

TEST(Parser, MalformedVersionsAre400) {
    for (const char* v : {"1.10", "11.1", "1", "1.", "1.x", "x.1", "1,1"}) {
        RequestParser p;
        EXPECT_EQ(parse(p, std::string("GET / HTTP/") + v + "\r\nHost: h\r\n\r\n").state, State::Error) << v;
        EXPECT_EQ(p.error_status(), Status::BadRequest) << v;
    }
    for (const char* line : {"GET / http/1.1", "GET / HTTPS/1.1", "GET / HTTP/1.1 ", "GET /  HTTP/1.1"}) {
        RequestParser p;
        EXPECT_EQ(parse(p, std::string(line) + "\r\nHost: h\r\n\r\n").state, State::Error) << line;
        EXPECT_EQ(p.error_status(), Status::BadRequest) << line;
    }
}

TEST(Parser, UriTooLongIs414) {
    RequestParser p(ParserLimits{64, 1024});
    EXPECT_EQ(parse(p, "GET /" + std::string(100, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n").state, State::Error);
    EXPECT_EQ(p.error_status(), Status::UriTooLong);
}

TEST(Parser, TooManyHeadersIs431) {
    RequestParser p;
    std::string req = "GET / HTTP/1.1\r\nHost: h\r\n";
    for (int i = 0; i < 100; ++i) req += "X-" + std::to_string(i) + ": v\r\n";
    EXPECT_EQ(parse(p, req + "\r\n").state, State::Error);
    EXPECT_EQ(p.error_status(), Status::HeaderFieldsTooLarge);
}

TEST(Parser, SmallBodyIsDiscardedAndNextRequestFollows) {
    RequestParser p;
    const std::string s =
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET /n HTTP/1.1\r\nHost: h\r\n\r\n";
    const auto r = p.feed(s);
    ASSERT_EQ(r.state, State::Complete);
    EXPECT_TRUE(p.request().has_body);
    p.next_request();
    ASSERT_EQ(p.feed(std::string_view(s).substr(r.consumed)).state, State::Complete);
    EXPECT_EQ(p.request().target, "/n");
}

TEST(Parser, LargeBodyIs413) {
    RequestParser p(ParserLimits{8192, 10});
    EXPECT_EQ(parse(p, "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n").state, State::Error);
    EXPECT_EQ(p.error_status(), Status::ContentTooLarge);
}

TEST(Parser, ChunkedBodyOverLimitIs413) {
    RequestParser p(ParserLimits{8192, 4});
    EXPECT_EQ(parse(p, "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n0\r\n\r\n").state,
              State::Error);
    EXPECT_EQ(p.error_status(), Status::ContentTooLarge);
}

TEST(Parser, GarbageIs400) {
    RequestParser p;
    EXPECT_EQ(parse(p, "\x01\x02\x03 garbage\r\n\r\n").state, State::Error);
    EXPECT_EQ(p.error_status(), Status::BadRequest);
}

TEST(Parser, NulInHeaderIs400) {
    RequestParser p;
    EXPECT_EQ(parse(p, std::string("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", 30)).state, State::Error);
}

TEST(Parser, OtherMethodsParse) {
    RequestParser p;
    ASSERT_EQ(parse(p, "DELETE /x HTTP/1.1\r\nHost: h\r\n\r\n").state, State::Complete);
    EXPECT_EQ(p.request().method, Method::Other);
    EXPECT_EQ(p.request().method_name, "DELETE");
}

TEST(Parser, ResetAllowsANewConnectionAfterClose) {
    RequestParser p;
    ASSERT_EQ(parse(p, "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").state, State::Complete);
    p.reset();
    const std::string again = "GET /again HTTP/1.1\r\nHost: h\r\n\r\n";  // views point into it
    ASSERT_EQ(parse(p, again).state, State::Complete);
    EXPECT_EQ(p.request().target, "/again");
}

TEST(Parser, ExpectContinueIsHandedOverAtTheHead) {
    RequestParser p;
    const std::string head = "GET /x HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\nExpect: 100-Continue \r\n\r\n";
    const auto r = parse(p, head + "0123456789");
    ASSERT_EQ(r.state, State::Complete);
    EXPECT_EQ(r.consumed, head.size());  // the body is left unread
    EXPECT_TRUE(p.request().expect_continue);
}

TEST(Parser, ExpectContinueWithoutBodyIsPlain) {
    RequestParser p;
    const std::string req = "GET /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n";
    const auto r = parse(p, req);
    ASSERT_EQ(r.state, State::Complete);
    EXPECT_FALSE(p.request().expect_continue);
}

TEST(Parser, UnknownExpectationIs417) {
    RequestParser p;
    const auto r = parse(p, "GET /x HTTP/1.1\r\nHost: h\r\nExpect: teapot\r\n\r\n");
    ASSERT_EQ(r.state, State::Error);
    EXPECT_EQ(p.error_status(), Status::ExpectationFailed);
}
