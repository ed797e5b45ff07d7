global using NUnit.Framework;
global using P2PSim.Tests.TestSupport;
