// P2PSim: a whole peer-to-peer gossip network in one process. Wiring only; see Cli/ (the verbs), Hosting/ (the demo) and Experiments/.
using P2PSim.Cli;
using P2PSim.Hosting;

RuntimeTuning.Apply(); // before the first socket exists

return await P2PSimCommandLine.RunAsync(args);
