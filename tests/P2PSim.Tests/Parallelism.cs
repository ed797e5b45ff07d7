// Which tests run at the same time, and why.
//
// Fixtures run one at a time unless marked [Parallelizable]. The marked ones run together, in a batch of their own
// (never beside an unmarked or [NonParallelizable] fixture), on up to LevelOfParallelism threads:
// - the fixtures of the simulated network only (virtual time, no sockets, no shared state): they keep the cores busy;
// - the multi-process slice runs (NetnsRunTests, SliceExperimentProcessTests), which wait 25 s for their workload's start
//   time, a lead sized for a machine at a load of 30 to 50, so the simulated fixtures beside them do not crowd them out.
// Everything on real sockets with liveness in real time runs alone, as before: a starved ping is a false death.
// Six threads, not the default of one per core: two of them mostly wait on the slices, and with fewer the slice runs
// (queued after the simulated fixtures) would start only once those are done.
[assembly: LevelOfParallelism(6)]
