#include <uringd/ring/tag.hpp>

#include <gtest/gtest.h>

using namespace uringd::ring;

TEST(Tag, RoundTrip) {
    const Tag t{0xabcdef, 0xfffe, Op::SendZc, 0x1234};
    const Tag d = decode(encode(t));
    EXPECT_EQ(d.slot, t.slot);
    EXPECT_EQ(d.gen, t.gen);
    EXPECT_EQ(d.op, t.op);
    EXPECT_EQ(d.aux, t.aux);
}

TEST(Tag, FieldsDoNotOverlap) {
    EXPECT_EQ(encode({kMaxSlots - 1, 0, static_cast<Op>(0), 0}), 0xffffffu);
    EXPECT_EQ(encode({0, 0xffff, static_cast<Op>(0), 0}), 0xffffull << 24);
    EXPECT_EQ(encode({0, 0, static_cast<Op>(0xff), 0}), 0xffull << 40);
    EXPECT_EQ(encode({0, 0, static_cast<Op>(0), 0xffff}), 0xffffull << 48);
}
