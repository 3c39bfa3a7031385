// SPDX-License-Identifier: Apache-2.0
// An inline chain for the inline-frame tests, built with -O2 -g:
//   ns::outer_function  (not inlined)
//     └ ns::mid_helper           (always_inline, internal linkage: DWARF has no linkage name)
//         └ ns::Mixer::mix<int>  (always_inline, member template: DWARF has a linkage name)
#include <cstdio>
#include <cstdlib>

namespace ns {

struct Mixer {
    template <typename T>
    static inline __attribute__((always_inline)) T mix(T x) {
        T r = x * 3;
        r ^= static_cast<T>(std::rand());
        return r;
    }
};

static inline __attribute__((always_inline)) int mid_helper(int x) {
    int y = Mixer::mix<int>(x + 1);
    return y + 7;
}

__attribute__((noinline)) int outer_function(int x) {
    int s = 0;
    for (int i = 0; i < x; i++) s += mid_helper(i);
    return s;
}

}  // namespace ns

int main(int argc, char **) {
    std::printf("%d\n", ns::outer_function(argc * 1000));
    return 0;
}
