// RFC 9112 framing: each malformed shape, in several spellings, is refused with its
// status and nothing after it is ever handed over as a request; the well-formed
// shapes still parse. Every case runs whole, one byte at a time and in 3-byte slices.
#include "../fuzz/reference_framer.hpp"

#include <uringd/http/framing.hpp>
#include <uringd/http/parser.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace uringd::http;
using State = RequestParser::State;

namespace {

struct Outcome {
    int complete = 0;  // requests handed over
    int error = 0;     // status code of the refusal, 0 when none
    bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& o, const Outcome& x) {
    return o << "{complete " << x.complete << ", error " << x.error << "}";
}

// Feeds `in` as a connection would: `step` new bytes at a time, each request parsed
// from where the previous one ended. `ends`: where each handed-over request ended.
Outcome drive(const std::string& in, std::size_t step, std::vector<std::size_t>* ends = nullptr) {
    RequestParser p(ParserLimits{1024, 4096});
    Outcome out;
    std::size_t parsed = 0, available = 0;
    while (true) {
        if (parsed == available) {
            if (available == in.size()) return out;
            available = std::min(in.size(), available + step);
        }
        const auto r = p.feed(std::string_view(in).substr(parsed, available - parsed));
        parsed += r.consumed;
        if (r.state == State::Error) {
            out.error = code(p.error_status());
            return out;
        }
        if (r.state == State::Complete) {
            ++out.complete;
            if (ends) ends->push_back(parsed);
            if (p.request().expect_continue || !p.request().keep_alive) return out;  // the connection closes
            p.next_request();
        }
    }
}

struct Case {
    const char* name;
    std::string bytes;
    Outcome expect;
};

const std::string kGet = "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
const std::string kChunkedHead = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";

std::vector<Case> cases() {
    return {
        // Well-formed: everything is answered.
        {"plain", "GET / HTTP/1.1\r\nHost: h\r\n\r\n" + kGet, {2, 0}},
        {"empty value, tabs", "GET / HTTP/1.1\r\nHost: h\r\nX:\r\nY:\t v \t\r\n\r\n" + kGet, {2, 0}},
        {"obs-text value", "GET / HTTP/1.1\r\nHost: h\r\nX: caf\xc3\xa9\r\n\r\n", {1, 0}},
        {"utf-8 target", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", {1, 0}},
        {"leading empty line", "\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", {1, 0}},
        {"chunked", kChunkedHead + "5\r\nhello\r\n0\r\n\r\n" + kGet, {2, 0}},
        {"chunked upper hex, zeros", kChunkedHead + "000A\r\n0123456789\r\n00\r\n\r\n" + kGet, {2, 0}},
        {"chunk extensions", kChunkedHead + "5;a=b;c;d=\"x;\\\"y\" \r\nhello\r\n0 ; e\r\n\r\n" + kGet, {2, 0}},
        {"chunk extension after tabs", kChunkedHead + "5\t\t;a\r\nhello\r\n0\r\n\r\n" + kGet, {2, 0}},
        {"trailers", kChunkedHead + "1\r\nx\r\n0\r\nX-T: 1\r\nY: 2\r\n\r\n" + kGet, {2, 0}},
        {"content-length body", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc" + kGet, {2, 0}},
        {"absolute form", "GET http://h/x HTTP/1.1\r\nHost: other\r\n\r\n", {1, 0}},
        {"upgrade asked",
         "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
         "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n" +
             kGet,
         {2, 0}},
        {"upgrade websocket",
         "GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n" + kGet,
         {2, 0}},
        {"CONNECT", "CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n" + kGet, {2, 0}},

        // Bare CR anywhere in the framing.
        {"bare CR in request line", "GET /a\rb HTTP/1.1\r\nHost: h\r\n\r\n" + kGet, {0, 400}},
        {"bare CR after version", "GET / HTTP/1.1\rHost: h\r\n\r\n" + kGet, {0, 400}},
        {"bare CR in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n" + kGet, {0, 400}},
        {"bare CR ends value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\r\n\r\n" + kGet, {0, 400}},
        {"bare CR ends head", "GET / HTTP/1.1\r\nHost: h\r\n\r" + kGet, {0, 400}},
        {"bare CR in chunk ext", kChunkedHead + "1;a\rb\r\nx\r\n0\r\n\r\n" + kGet, {0, 400}},
        {"bare CR in chunk ext value", kChunkedHead + "1;a=b\rX\r\nx\r\n0\r\n\r\n" + kGet, {0, 400}},
        {"bare CR in last-chunk ext", kChunkedHead + "0;a\r" + kGet, {0, 400}},
        {"bare CR in quoted ext", kChunkedHead + "1;a=\"b\rc\"\r\nx\r\n0\r\n\r\n" + kGet, {0, 400}},
        {"bare CR after size", kChunkedHead + "1\rX\r\nx\r\n0\r\n\r\n" + kGet, {0, 400}},
        {"CR then junk after data", kChunkedHead + "1\r\nx\rX0\r\n\r\n" + kGet, {0, 400}},
        {"bare CR in trailer", kChunkedHead + "0\r\nX: a\rb\r\n\r\n" + kGet, {0, 400}},
        {"bare CR ends trailers", kChunkedHead + "0\r\n\r" + kGet, {0, 400}},

        // Bare LF is not a line end either.
        {"bare LF request line", "GET / HTTP/1.1\nHost: h\r\n\r\n", {0, 400}},
        {"bare LF field", "GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", {0, 400}},
        {"bare LF ends head", "GET / HTTP/1.1\r\nHost: h\r\n\n" + kGet, {0, 400}},
        {"bare LF chunk line", kChunkedHead + "1\nx\r\n0\r\n\r\n", {0, 400}},
        {"bare LF after data", kChunkedHead + "1\r\nx\n0\r\n\r\n", {0, 400}},

        // Field syntax (RFC 9112 §5).
        {"space before colon", "GET / HTTP/1.1\r\nHost: h\r\nFoo : bar\r\n\r\n" + kGet, {0, 400}},
        {"tab before colon", "GET / HTTP/1.1\r\nHost: h\r\nFoo\t: bar\r\n\r\n", {0, 400}},
        {"space before colon on Host", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", {0, 400}},
        {"space before colon on CL", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length : 3\r\n\r\nabc" + kGet, {0, 400}},
        {"obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", {0, 400}},
        {"obs-fold tab", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n", {0, 400}},
        {"whitespace first line", "GET / HTTP/1.1\r\n Host: h\r\n\r\n", {0, 400}},
        {"empty name", "GET / HTTP/1.1\r\nHost: h\r\n: x\r\n\r\n", {0, 400}},
        {"no colon", "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", {0, 400}},
        {"bad name char", "GET / HTTP/1.1\r\nHost: h\r\nF(o: x\r\n\r\n", {0, 400}},
        {"name with high byte", "GET / HTTP/1.1\r\nHost: h\r\nF\xc3\xa9: x\r\n\r\n", {0, 400}},
        {"NUL in value", std::string("GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n", 34), {0, 400}},
        {"CTL in value",
         "GET / HTTP/1.1\r\nHost: h\r\nX: a\x01"
         "b\r\n\r\n",
         {0, 400}},
        {"DEL in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n", {0, 400}},
        {"ESC in value", "GET / HTTP/1.1\r\nHost: h\r\nX: \x1b[0m\r\n\r\n", {0, 400}},

        // Request line.
        {"tab in target", "GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n", {0, 400}},
        {"DEL in target", "GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n", {0, 400}},
        {"no version", "GET /\r\n\r\n", {0, 400}},
        {"lower-case version", "GET / http/1.1\r\nHost: h\r\n\r\n", {0, 400}},
        {"version junk", "GET / HTTP/1.1x\r\nHost: h\r\n\r\n", {0, 400}},
        {"two spaces", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", {0, 400}},
        {"trailing space", "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", {0, 400}},

        // Message length (RFC 9112 §6).
        {"HTTP/1.0 with TE chunked", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + kGet, {0, 400}},
        {"HTTP/1.0 with TE and CL",
         "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
         {0, 400}},
        {"HTTP/1.0 TE identity", "GET / HTTP/1.0\r\nTransfer-Encoding: identity\r\n\r\n", {0, 400}},
        {"CL and TE",
         "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
         {0, 400}},
        {"TE and CL",
         "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
         {0, 400}},
        {"CL twice, same", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", {0, 400}},
        {"CL list", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 1\r\n\r\nx", {0, 400}},
        {"CL sign", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\nx", {0, 400}},
        {"CL empty", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n" + kGet, {0, 400}},
        {"CL with spaces inside", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 1\r\n\r\nx" + kGet, {0, 400}},
        {"CL with 18 leading zeros",
         "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0000000000000000001\r\n\r\nx",
         {1, 0}},
        {"CONNECT with a body", "CONNECT h:443 HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx" + kGet, {2, 0}},
        {"CL hex", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x1\r\n\r\nx", {0, 400}},
        {"TE chunked twice",
         "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
         {0, 400}},
        {"TE not final", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", {0, 400}},
        {"TE unknown then chunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", {0, 501}},
        {"TE empty element", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: , chunked\r\n\r\n0\r\n\r\n", {0, 501}},
        {"TE empty", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n", {0, 400}},

        // Chunk framing.
        {"chunk size overflow", kChunkedHead + "FFFFFFFFFFFFFFFFF1\r\nx\r\n0\r\n\r\n", {0, 400}},
        {"chunk size 17 digits", kChunkedHead + "00000000000000001\r\nx\r\n0\r\n\r\n", {0, 400}},
        {"chunk size over max_body", kChunkedHead + "FFFFFFFF\r\n", {0, 413}},
        {"chunk data over max_body",
         kChunkedHead + "800\r\n" + std::string(0x800, 'x') + "\r\n800\r\n" + std::string(0x800, 'x') +
             "\r\n1\r\nx\r\n0\r\n\r\n",
         {0, 413}},
        {"chunk size missing", kChunkedHead + ";a\r\nx\r\n", {0, 400}},
        {"chunk size junk", kChunkedHead + "1x\r\nx\r\n0\r\n\r\n", {0, 400}},
        {"chunk size sign", kChunkedHead + "+1\r\nx\r\n0\r\n\r\n", {0, 400}},
        {"chunk data too long", kChunkedHead + "1\r\nxy\r\n0\r\n\r\n" + kGet, {0, 400}},
        {"chunk ext too long", kChunkedHead + "1;" + std::string(5000, 'a') + "\r\nx\r\n0\r\n\r\n", {0, 400}},
        {"chunk ext NUL", kChunkedHead + std::string("1;a\0\r\nx\r\n0\r\n\r\n", 14), {0, 400}},
        {"chunk ext unterminated quote", kChunkedHead + "1;a=\"b\r\nx\r\n0\r\n\r\n", {0, 400}},
        // Found by fuzz_request: whitespace after the size must lead to a ';'.
        {"chunk ext without ';'", kChunkedHead + "5\r\nhello\r\n0 ample\r\n\r\n" + kGet, {0, 400}},
        {"chunk size, space, CRLF", kChunkedHead + "1 \r\nx\r\n0\r\n\r\n" + kGet, {0, 400}},
        {"chunk size, tab, junk", kChunkedHead + "1\tx\r\nx\r\n0\r\n\r\n" + kGet, {0, 400}},
        {"trailer obs-fold", kChunkedHead + "0\r\nX: a\r\n b\r\n\r\n", {0, 400}},
        {"trailer space before colon", kChunkedHead + "0\r\nX : a\r\n\r\n", {0, 400}},
        {"trailers too large",
         kChunkedHead + "0\r\n" + std::string(1000, 'X') + ": " + std::string(9000, 'v') + "\r\n\r\n",
         {0, 400}},
    };
}

}  // namespace

TEST(Framing, EveryShapeWholeAndSliced) {
    for (const Case& c : cases()) {
        for (std::size_t step : {c.bytes.size(), std::size_t{1}, std::size_t{3}}) {
            EXPECT_EQ(drive(c.bytes, step), c.expect) << c.name << " (step " << step << ")";
        }
    }
}

// The differential check the fuzz target also makes: never a request that a strict
// reading (tests/fuzz/reference_framer.hpp) does not find, never another boundary.
TEST(Framing, NeverMoreThanTheReferenceFramer) {
    for (const Case& c : cases()) {
        const auto ref = uringd::reference::frame_requests(c.bytes);
        for (std::size_t step : {c.bytes.size(), std::size_t{1}, std::size_t{7}}) {
            std::vector<std::size_t> ends;
            drive(c.bytes, step, &ends);
            ASSERT_LE(ends.size(), ref.size()) << c.name;
            for (std::size_t i = 0; i < ends.size(); ++i) {
                EXPECT_TRUE(ref[i].complete) << c.name << " #" << i;
                EXPECT_EQ(ends[i], ref[i].end) << c.name << " #" << i;
            }
        }
        if (c.expect.error == 0) EXPECT_EQ(ref.size(), static_cast<std::size_t>(c.expect.complete)) << c.name;
    }
}

TEST(Framing, ReferenceFramerListsACutBodyAsIncomplete) {
    const std::string head = "GET /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n";
    for (const std::string& in : {head, head + "01234", kChunkedHead + "5\r\nab", kChunkedHead + "5\r"}) {
        const auto ref = uringd::reference::frame_requests(in);
        ASSERT_EQ(ref.size(), 1u) << in;
        EXPECT_FALSE(ref[0].complete) << in;
    }
}

TEST(Framing, HeadScannerStopsAtTheEmptyLine) {
    HeadScanner s;
    const std::string head = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
    const FramingStep r = s.scan(head + "BODY");
    EXPECT_EQ(r.verdict, FramingStep::Verdict::Done);
    EXPECT_EQ(r.used, head.size());
}

TEST(Framing, HeadScannerNamesTheFault) {
    HeadScanner s;
    const FramingStep r = s.scan("GET / HTTP/1.1\r\nFoo : bar\r\n\r\n");
    EXPECT_EQ(r.verdict, FramingStep::Verdict::Bad);
    EXPECT_EQ(r.used, 19u);  // the space
    EXPECT_STREQ(s.reason(), "whitespace between field name and colon");
}

TEST(Framing, ChunkedScannerCountsData) {
    ChunkedScanner s;
    const std::string body = "3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n";
    const FramingStep r = s.scan(body + "GET");
    EXPECT_EQ(r.verdict, FramingStep::Verdict::Done);
    EXPECT_EQ(r.used, body.size());
    EXPECT_EQ(s.data_bytes(), 19u);
}

TEST(Framing, ErrorReasonsReachTheParser) {
    RequestParser p;
    const std::string in = kChunkedHead + "1;a\rb\r\n";
    const auto r = p.feed(in);
    ASSERT_EQ(r.state, State::Error);
    EXPECT_EQ(p.error_status(), Status::BadRequest);
    EXPECT_EQ(p.error_reason(), "bare CR in chunk line");
}
