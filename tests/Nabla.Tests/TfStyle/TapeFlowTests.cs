namespace Nabla.Tests.TfStyle;

/// <summary>Tapes belong to one async flow (AsyncLocal), like grad mode.</summary>
public class TapeFlowTests
{
    [Fact]
    public async Task TapeDoesNotRecordAConcurrentTaskStartedBeforeIt()
    {
        var x = new Variable(3.0);
        using var started = new SemaphoreSlim(0);
        using var go = new SemaphoreSlim(0);
        var other = Task.Run(async () =>
        {
            started.Release();
            await go.WaitAsync();
            return x * x * x;                   // runs while the tape below is open, in another flow
        });
        await started.WaitAsync();
        var tape = new GradientTape(persistent: true);
        Tensor mine, theirs;
        using (tape)
        {
            mine = x * x;
            go.Release();
            theirs = await other;
        }
        Assert.Equal(6.0, tape.Gradient(mine, x)!.Item<double>());
        Assert.Null(tape.Gradient(theirs, x));
        Assert.Equal(27.0, theirs.Item<double>());
        Assert.NotNull(theirs.GradFn);            // PyTorch-style recording is unaffected
    }

    [Fact]
    public async Task TapeSurvivesAwaitInsideItsScope()
    {
        var x = new Variable(2.0);
        var tape = new GradientTape();
        Tensor y;
        using (tape)
        {
            var a = x * x;
            await Task.Yield();
            await Task.Delay(1);
            y = a * x;                             // recorded after the continuation resumed elsewhere
        }
        Assert.Equal(12.0, tape.Gradient(y, x)!.Item<double>());
    }

    [Fact]
    public async Task TapeOpenedInsideAnAsyncMethodStaysThere()
    {
        var x = new Variable(2.0);
        var (tape, y) = await RecordAsync(x);
        var outside = x * x;                       // the caller's flow never saw the tape
        Assert.Equal(8.0, tape.Gradient(y, x)!.Item<double>());   // 2x^2 -> 4x
        Assert.Contains("not computed from watched tensors", tape.ExplainNullGradient(outside, x));
    }

    static async Task<(GradientTape, Tensor)> RecordAsync(Variable x)
    {
        var tape = new GradientTape();
        await Task.Yield();
        var y = 2 * x * x;
        tape.Dispose();
        return (tape, y);
    }

    [Fact]
    public void ParallelWorkInsideATapeIsRecordedSafely()
    {
        // Tasks started inside the scope inherit the tape; they may record at the same time.
        var xs = Enumerable.Range(0, 8).Select(i => new Variable(i * 0.5)).ToArray();
        var tape = new GradientTape();
        var ys = new Tensor[xs.Length];
        Tensor total;
        using (tape)
        {
            Parallel.For(0, xs.Length, i =>
            {
                Tensor t = xs[i];
                for (int k = 0; k < 50; k++) t = t * 1.0 + 0.0;
                ys[i] = t * xs[i];                  // x_i^2
            });
            total = ys.Aggregate((a, b) => a + b);
        }
        Assert.Equal(xs.Length, tape.WatchedVariables().Count);
        var g = tape.Gradient(total, xs.Cast<Tensor>());
        for (int i = 0; i < xs.Length; i++) Assert.Equal(i * 1.0, g[i]!.Item<double>());
    }
}
