// Placeholder replaced by the domain implementation.
#include "domain/rules.hpp"
