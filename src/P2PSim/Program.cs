// P2PSim: a whole peer-to-peer gossip network in one process. Wiring only; see Hosting/.
return await P2PSim.Hosting.P2PSimApp.RunAsync(args);
