// Runs one distributed test scenario on this rank: dotnet Nabla.DistributedWorker.dll <scenario> [args...]
using Nabla.DistributedWorker;

// mpirun forwards the ranks' output in chunks that can cut a long line in two; the tests read each rank's own file.
if (Environment.GetEnvironmentVariable("NABLA_WORKER_OUT") is { Length: > 0 } folder)
{
    // Open MPI's mpirun names the rank OMPI_COMM_WORLD_RANK, MPICH's mpiexec PMI_RANK.
    var rank = Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_RANK") ?? Environment.GetEnvironmentVariable("PMI_RANK") ?? "0";
    var file = new StreamWriter(Path.Combine(folder, $"rank-{rank}.txt")) { AutoFlush = true };
    Console.SetOut(TextWriter.Synchronized(new Tee(Console.Out, file)));
}

if (args.Length == 0 || !Scenarios.All.TryGetValue(args[0], out var scenario))
{
    Console.Error.WriteLine($"usage: Nabla.DistributedWorker <scenario> [args]; scenarios: {string.Join(", ", Scenarios.All.Keys.Order())}");
    return 2;
}
return scenario(args[1..]);

/// <summary>Writes to the console and to the rank's file.</summary>
sealed class Tee(TextWriter console, TextWriter file) : TextWriter
{
    public override System.Text.Encoding Encoding => console.Encoding;
    public override void Write(char value) { console.Write(value); file.Write(value); }
    public override void Write(string? value) { console.Write(value); file.Write(value); }
    public override void WriteLine(string? value) { console.WriteLine(value); file.WriteLine(value); }
    public override void Flush() { console.Flush(); file.Flush(); }
}
