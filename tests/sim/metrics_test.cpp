// The fragmentation metrics on hand-built traces whose answers are worked out by hand.

#include "dynfeed/sim/metrics.hpp"

#include <boost/test/unit_test.hpp>

using namespace dynfeed::sim;

BOOST_AUTO_TEST_SUITE(fragmentation_metrics)

BOOST_AUTO_TEST_CASE(one_swarm_with_the_writer_strands_nobody) {
  // Everyone in swarm 0 with the writer at 10: readers behind can fetch from the writer.
  std::vector<swarm_member> m = {{0, 10, false}, {0, 10, true}, {0, 7, true}, {0, 3, true}};
  swarm_census c = take_census(m, 10);
  BOOST_TEST(c.swarm_ids == 1u);
  BOOST_TEST(c.largest_swarm == 4u);
  BOOST_TEST(c.stranded == 0u);
}

BOOST_AUTO_TEST_CASE(readers_left_in_an_old_swarm_are_stranded) {
  // The writer moved to swarm 1 at length 12. Swarm 0: two readers at 8 (its longest) and one
  // at 6, who can still fetch from them. Swarm 2: a lone reader at 4. Swarm 1: a reader at 12
  // (not behind) and one at 9, who meets the writer.
  std::vector<swarm_member> m = {{1, 12, false}, {1, 12, true}, {1, 9, true}, {0, 8, true},
                                 {0, 8, true},   {0, 6, true},  {2, 4, true}};
  swarm_census c = take_census(m, 12);
  BOOST_TEST(c.swarm_ids == 3u);
  BOOST_TEST(c.largest_swarm == 3u);
  BOOST_TEST(c.stranded == 3u); // both readers at 8, and the lone one at 4
}

BOOST_AUTO_TEST_CASE(a_swarm_at_the_latest_length_is_not_stranded_without_the_writer) {
  // Readers that hold everything there is lack nothing, wherever they are.
  std::vector<swarm_member> m = {{0, 5, false}, {3, 5, true}, {3, 5, true}};
  swarm_census c = take_census(m, 5);
  BOOST_TEST(c.swarm_ids == 2u);
  BOOST_TEST(c.largest_swarm == 2u);
  BOOST_TEST(c.stranded == 0u);
  // The same swarm one append later: both are stranded (nobody there holds 6).
  BOOST_TEST(take_census(m, 6).stranded == 2u);
}

BOOST_AUTO_TEST_CASE(the_writer_is_never_stranded_and_nobody_is_counted_twice) {
  std::vector<swarm_member> m = {{4, 2, false}};
  swarm_census c = take_census(m, 9); // a writer behind its own length: not a reader
  BOOST_TEST(c.stranded == 0u);
  BOOST_TEST(take_census({}, 9).swarm_ids == 0u);
  BOOST_TEST(take_census({}, 9).largest_swarm == 0u);
}

BOOST_AUTO_TEST_CASE(a_length_exists_for_stranding_after_the_grace) {
  std::vector<length_at> made = {{10, 5}, {20, 6}, {30, 9}};
  BOOST_TEST(settled_length(made, 12, 5, 4) == 4u);  // 5 is 2 s old: not yet
  BOOST_TEST(settled_length(made, 15, 5, 4) == 5u);  // exactly the grace: it counts
  BOOST_TEST(settled_length(made, 34.9, 5, 4) == 6u);
  BOOST_TEST(settled_length(made, 100, 5, 4) == 9u);
  BOOST_TEST(settled_length({}, 100, 5, 4) == 4u);
}

BOOST_AUTO_TEST_CASE(stranded_over_samples) {
  // Samples: 0 of 10, 5 of 10, 2 of 4, 1 of 0 (no readers: counts as none), 3 of 6.
  stranded_summary s = summarize_stranded({0, 5, 2, 1, 3}, {10, 10, 4, 0, 6});
  BOOST_TEST(s.final == 3u);
  BOOST_TEST(s.max == 5u);
  BOOST_TEST(s.max_share == 0.5);
  BOOST_TEST(s.mean_share == (0.0 + 0.5 + 0.5 + 0.0 + 0.5) / 5, boost::test_tools::tolerance(1e-12));
  stranded_summary none = summarize_stranded({}, {});
  BOOST_TEST(none.final == 0u);
  BOOST_TEST(none.mean_share == 0.0);
}

BOOST_AUTO_TEST_CASE(residue_counts_readers_below_each_append) {
  // Appends made lengths 4, 6 and 9; five readers end at 9, 9, 6, 5 and 3.
  std::vector<double> r = residue({4, 6, 9}, {9, 5, 9, 3, 6});
  BOOST_REQUIRE_EQUAL(r.size(), 3u);
  BOOST_TEST(r[0] == 1.0 / 5); // only the reader at 3 never held length 4
  BOOST_TEST(r[1] == 2.0 / 5); // 3 and 5
  BOOST_TEST(r[2] == 3.0 / 5); // 3, 5 and 6
  residue_summary s = summarize_residue(r);
  BOOST_TEST(s.last_share == 0.6);
  BOOST_TEST(s.max_share == 0.6);
  BOOST_TEST(s.mean_share == 0.4, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(residue_is_zero_when_everyone_converged_or_nobody_runs) {
  std::vector<double> all = residue({2, 3}, {3, 3, 7});
  BOOST_TEST(all[0] == 0.0);
  BOOST_TEST(all[1] == 0.0);
  std::vector<double> nobody = residue({2, 3}, {});
  BOOST_TEST(nobody.size() == 2u);
  BOOST_TEST(nobody[1] == 0.0);
  BOOST_TEST(summarize_residue({}).max_share == 0.0);
}

BOOST_AUTO_TEST_CASE(the_largest_share_counts_the_nodes_in_swarms_only) {
  // The writer and four readers in swarms 0 (three) and 1 (two); readers waiting for their
  // first ID are in none and not in the census at all.
  std::vector<swarm_member> m = {{0, 6, false}, {0, 6, true}, {0, 6, true}, {1, 5, true}, {1, 4, true}};
  swarm_census c = take_census(m, 6);
  BOOST_TEST(c.members == 5u);
  BOOST_TEST(largest_share(c.largest_swarm, c.members) == 0.6);
  // The writer alone while readers join: one swarm, nobody split from it.
  swarm_census alone = take_census({{0, 4, false}}, 4);
  BOOST_TEST(largest_share(alone.largest_swarm, alone.members) == 1.0);
  BOOST_TEST(largest_share(0, 0) == 1.0);
}

BOOST_AUTO_TEST_CASE(a_median_over_appends_counts_those_never_reached_as_latest) {
  // Nearest rank, ceil(n / 2): five appends, all reached: the third.
  BOOST_TEST(median_index_with_never(5, 0).value_or(99) == 2u);
  BOOST_TEST(median_index_with_never(4, 0).value_or(99) == 1u);
  // Three reached, two never: the third of five is still a reached one.
  BOOST_TEST(median_index_with_never(3, 2).value_or(99) == 2u);
  // Two reached, three never: the middle append is one that never got there.
  BOOST_TEST(!median_index_with_never(2, 3).has_value());
  BOOST_TEST(median_index_with_never(2, 2).value_or(99) == 1u);
  BOOST_TEST(!median_index_with_never(0, 0).has_value());
  BOOST_TEST(!median_index_with_never(0, 1).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
