#define BOOST_TEST_MODULE tracker
#include <boost/test/unit_test.hpp>
