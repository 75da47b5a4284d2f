# Helpers shared by the bench scripts (sourced, not run).

# median: the median of the numbers on standard input, one per line.
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# b40_scenario FILE REPLICATES: the end-to-end benches' workload, one
# 40-practice CCG (the engine bench's) x 120 months x REPLICATES, seed 1.
b40_scenario() {
    printf '[scenario]\nname = "b40"\nmonths = 120\nreplicates = %d\nseed = 1\n[ccg]\npractices = 40\n' \
        "$2" >"$1"
}
