#define BOOST_TEST_MODULE proto
#include <boost/test/unit_test.hpp>
