// Runs one distributed test scenario on this rank: dotnet Nabla.DistributedWorker.dll <scenario> [args...]
using Nabla;
using Nabla.DistributedWorker;

// Several ranks share the machine's cores: the tests ask for one kernel thread each.
if (int.TryParse(Environment.GetEnvironmentVariable("NABLA_THREADS"), out var threads)) Threads.Count = threads;

if (args.Length == 0 || !Scenarios.All.TryGetValue(args[0], out var scenario))
{
    Console.Error.WriteLine($"usage: Nabla.DistributedWorker <scenario> [args]; scenarios: {string.Join(", ", Scenarios.All.Keys.Order())}");
    return 2;
}
return scenario(args[1..]);
