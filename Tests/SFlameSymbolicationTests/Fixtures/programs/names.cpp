// SPDX-License-Identifier: Apache-2.0
// C++ names that are hard to shorten: operators with angle brackets, templates over function
// pointers, lambdas, an anonymous namespace. The demangling tests compare against c++filt.
#include <cstdio>
#include <sstream>

namespace {
__attribute__((noinline)) int hidden_worker(int x) { return x * 3; }
}  // namespace

namespace geo {
struct Point {
    int x, y;
};

__attribute__((noinline)) std::ostream &operator<<(std::ostream &os, const Point &p) {
    return os << p.x << ',' << p.y;
}

template <typename F>
__attribute__((noinline)) int apply(F f, int v) { return f(v); }

inline int to_int(char c) { return c; }

template <int (*Fn)(char)>
__attribute__((noinline)) int call_with(char c) { return Fn(c); }

struct Accumulator {
    int total = 0;
    __attribute__((noinline)) void operator()(int v) { total += v; }
    __attribute__((noinline)) bool operator<(const Accumulator &other) const { return total < other.total; }
};
}  // namespace geo

int main(int argc, char **) {
    auto add_argc = [argc](int v) __attribute__((noinline)) { return v + argc; };
    int r = geo::apply(add_argc, argc) + geo::apply(&hidden_worker, argc) + geo::call_with<&geo::to_int>('a');
    geo::Accumulator a, b;
    a(r);
    std::ostringstream out;
    out << geo::Point{r, argc} << (a < b);
    std::puts(out.str().c_str());
    return 0;
}
