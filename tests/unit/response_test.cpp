#include <uringd/http/date.hpp>
#include <uringd/http/response.hpp>

#include <gtest/gtest.h>

#include <array>
#include <string>

using namespace uringd::http;

TEST(Date, ImfFixdate) {
    char buf[kHttpDateLen];
    format_http_date(784111777, buf);  // RFC 9110's example
    EXPECT_EQ(std::string(buf, kHttpDateLen), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(Date, CacheReformatsOncePerSecond) {
    DateCache c;
    const std::string a(c.get(784111777));
    EXPECT_EQ(std::string(c.get(784111777)), a);
    EXPECT_EQ(std::string(c.get(784111778)), "Sun, 06 Nov 1994 08:49:38 GMT");
}

TEST(Response, HeadLayout) {
    std::array<char, 512> buf{};
    ResponseHead h;
    h.date = "Sun, 06 Nov 1994 08:49:37 GMT";
    h.content_type = "text/plain";
    h.content_length = 42;
    h.etag = "\"x\"";
    const auto n = write_head(h, buf);
    EXPECT_EQ(std::string(buf.data(), n),
              "HTTP/1.1 200 OK\r\nServer: uringd\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
              "Content-Type: text/plain\r\nContent-Length: 42\r\nETag: \"x\"\r\n\r\n");
}

TEST(Response, CloseAndHttp10KeepAlive) {
    std::array<char, 512> buf{};
    ResponseHead h;
    h.keep_alive = false;
    std::string s(buf.data(), write_head(h, buf));
    EXPECT_NE(s.find("Connection: close\r\n"), std::string::npos);
    h.keep_alive = true;
    h.http10_keep_alive = true;
    s.assign(buf.data(), write_head(h, buf));
    EXPECT_NE(s.find("Connection: keep-alive\r\n"), std::string::npos);
}

TEST(Response, TooSmallBufferGivesZero) {
    std::array<char, 16> buf{};
    EXPECT_EQ(write_head(ResponseHead{}, buf), 0u);
}

TEST(Response, ErrorBodyAndAllow) {
    std::array<char, 1024> buf{};
    ResponseHead h;
    h.status = Status::MethodNotAllowed;
    h.allow = "GET, HEAD";
    const std::string s(buf.data(), write_error_response(h, false, buf));
    EXPECT_TRUE(s.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
    EXPECT_NE(s.find("Allow: GET, HEAD\r\n"), std::string::npos);
    const auto body = s.substr(s.find("\r\n\r\n") + 4);
    EXPECT_NE(s.find("Content-Length: " + std::to_string(body.size()) + "\r\n"), std::string::npos);
    EXPECT_EQ(body.size(), error_body_size(Status::MethodNotAllowed));
}

TEST(Response, HeadRequestGetsNoErrorBody) {
    std::array<char, 1024> buf{};
    ResponseHead h;
    h.status = Status::NotFound;
    const std::string s(buf.data(), write_error_response(h, true, buf));
    EXPECT_TRUE(s.ends_with("\r\n\r\n"));
    EXPECT_NE(s.find("Content-Length: " + std::to_string(error_body_size(Status::NotFound))), std::string::npos);
}

TEST(Response, ErrorBodyWithADetail) {
    std::array<char, 1024> buf{};
    ResponseHead h;
    h.status = Status::BadRequest;
    h.keep_alive = false;
    constexpr std::string_view detail = "The plain HTTP request was sent to an HTTPS port.";
    const std::string s(buf.data(), write_error_response(h, false, buf, detail));
    const auto body = s.substr(s.find("\r\n\r\n") + 4);
    EXPECT_NE(body.find("<h1>400 Bad Request</h1><p>" + std::string(detail) + "</p>"), std::string::npos);
    EXPECT_EQ(body, error_body(Status::BadRequest, detail));
    EXPECT_EQ(body.size(), error_body_size(Status::BadRequest, detail));
    EXPECT_NE(s.find("Content-Length: " + std::to_string(body.size()) + "\r\n"), std::string::npos);
    EXPECT_NE(s.find("Connection: close\r\n"), std::string::npos);
    EXPECT_LT(error_body_size(Status::BadRequest), body.size());
}
