// Placeholder replaced by the domain implementation.
#pragma once
