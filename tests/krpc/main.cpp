#define BOOST_TEST_MODULE krpc
#include <boost/test/unit_test.hpp>
