//===- RoutingTest.cpp - routing rules and dispatch -----------------------===//
#include "moec/Support/Routing.h"

#include <gtest/gtest.h>

using namespace moec;

namespace {

RoutingConfig deepseek16b() {
  RoutingConfig c;
  c.numExperts = 64;
  c.topK = 6;
  return c;
}

TEST(RoutingConfig, AcceptsTheReferenceVariants) {
  EXPECT_FALSE(checkRoutingConfig(deepseek16b()));

  RoutingConfig v2 = deepseek16b();
  v2.method = TopkMethod::GroupLimitedGreedy;
  v2.nGroup = 8;
  v2.topkGroup = 3;
  v2.routedScalingFactor = 16.0;
  EXPECT_FALSE(checkRoutingConfig(v2));

  RoutingConfig v3 = deepseek16b();
  v3.method = TopkMethod::NoauxTC;
  v3.numExperts = 256;
  v3.topK = 8;
  v3.nGroup = 8;
  v3.topkGroup = 4;
  v3.normTopkProb = true;
  v3.routedScalingFactor = 2.5;
  v3.hasCorrectionBias = true;
  EXPECT_FALSE(checkRoutingConfig(v3));
}

TEST(RoutingConfig, NamesTheBrokenRule) {
  RoutingConfig c = deepseek16b();
  c.topK = 65;
  EXPECT_EQ(*checkRoutingConfig(c),
            "top_k = 65 selects more experts than the 64 there are");

  c = deepseek16b();
  c.method = TopkMethod::GroupLimitedGreedy;
  c.nGroup = 7;
  EXPECT_EQ(*checkRoutingConfig(c),
            "n_group = 7 does not divide the 64 experts into equal groups");

  c = deepseek16b();
  c.method = TopkMethod::NoauxTC;
  EXPECT_EQ(*checkRoutingConfig(c),
            "noaux_tc routing needs the e_score_correction_bias");

  c.hasCorrectionBias = true;
  c.nGroup = 8;
  c.topkGroup = 0;
  EXPECT_EQ(*checkRoutingConfig(c),
            "topk_group = 0 must be between 1 and n_group = 8");

  c.topkGroup = 1;
  c.topK = 9;
  EXPECT_EQ(*checkRoutingConfig(c), "noaux_tc selects top_k = 9 experts but "
                                    "the topk_group = 1 kept groups hold only "
                                    "8");
}

TEST(RoutingConfig, GroupLimitedGreedyMaySelectBeyondKeptGroups) {
  // Experts of dropped groups have score 0 and a weight of 0: defined.
  RoutingConfig c = deepseek16b();
  c.method = TopkMethod::GroupLimitedGreedy;
  c.nGroup = 32;
  c.topkGroup = 1;
  EXPECT_FALSE(checkRoutingConfig(c));
}

TEST(TopkMethodNames, RoundTrip) {
  for (TopkMethod m : {TopkMethod::Greedy, TopkMethod::GroupLimitedGreedy,
                       TopkMethod::NoauxTC})
    EXPECT_EQ(parseTopkMethod(topkMethodName(m)), m);
  EXPECT_FALSE(parseTopkMethod("noaux"));
}

TEST(Dispatch, SortsStablyByExpert) {
  // T = 3, k = 2.
  std::optional<Dispatch> d = dispatchByExpert({2, 0, 0, 2, 1, 0}, 4);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->offsets, (std::vector<int32_t>{0, 3, 4, 6, 6}));
  EXPECT_EQ(d->permutation, (std::vector<int32_t>{1, 2, 5, 4, 0, 3}));
}

TEST(Dispatch, AllPairsToOneExpert) {
  std::optional<Dispatch> d = dispatchByExpert({3, 3, 3}, 4);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->offsets, (std::vector<int32_t>{0, 0, 0, 0, 3}));
  EXPECT_EQ(d->permutation, (std::vector<int32_t>{0, 1, 2}));
}

TEST(Dispatch, RejectsOutOfRangeExperts) {
  EXPECT_FALSE(dispatchByExpert({0, 4}, 4));
  EXPECT_FALSE(dispatchByExpert({-1}, 4));
}

} // namespace
