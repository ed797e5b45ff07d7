// P2PSim: a whole peer-to-peer gossip network in one process. Wiring only; see Hosting/ (the demo) and Experiments/.
using P2PSim.Experiments;
using P2PSim.Experiments.Reports;
using P2PSim.Hosting;

RuntimeTuning.Apply(); // before the first socket exists

return args.Length > 0 && args[0] == ExperimentCommand.Verb ? await ExperimentCommand.RunAsync(args[1..])
    : args.Length > 0 && args[0] == CompareCommand.Verb ? await CompareCommand.RunAsync(args[1..])
    : await P2PSimApp.RunAsync(args);
