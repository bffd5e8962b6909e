// Nabla quickstart: the seed examples in both styles, then a short tour of tensors and gradients.
// Run with:  dotnet run -c Release --project examples/Quickstart
using Nabla;

Console.WriteLine("== Seed example, PyTorch style: d/dt (t^2 + 3t) at t = 2 ==");
var t = Tensor.Scalar(2.0f, requiresGrad: true);
var z = t.Pow(2) + 3 * t;
z.Backward();
Console.WriteLine($"z        = {z.Item<float>()}");                 // 10
Console.WriteLine($"dz/dt    = {t.Grad!.Item<float>()}");           // 2t + 3 = 7

Console.WriteLine();
Console.WriteLine("== Second derivative: Autograd.Grad with createGraph ==");
// Two Backward calls with retainGraph would NOT give it: they add the first derivative into .Grad twice.
var u = Tensor.Scalar(2.0f, requiresGrad: true);
var w = u.Pow(2) + 3 * u;
var d1 = Autograd.Grad(w, u, createGraph: true)!;                  // 2u + 3, itself differentiable
var d2 = Autograd.Grad(d1, u)!;                                     // 2
Console.WriteLine($"dw/du    = {d1.Item<float>()}");                // 7
Console.WriteLine($"d2w/du2  = {d2.Item<float>()}");                // 2

Console.WriteLine();
Console.WriteLine("== Seed example, TensorFlow style: GradientTape ==");
var x = new Variable(2.0f);
var tape = new GradientTape();
Tensor y;
using (tape) { y = x * x + 3 * x; }
Console.WriteLine($"dy/dx    = {tape.Gradient(y, x)!.Item<float>()}");      // 7

Console.WriteLine();
Console.WriteLine("== Second derivative, TensorFlow style: nested tapes ==");
using (var outer = new GradientTape())
{
    Tensor dv;
    using (var inner = new GradientTape())
    {
        var v = x * x + 3 * x;
        dv = inner.Gradient(v, x)!;                                 // 7, recorded by the outer tape
    }
    Console.WriteLine($"d2v/dx2  = {outer.Gradient(dv, x)!.Item<float>()}");   // 2
}

Console.WriteLine();
Console.WriteLine("== Forward mode: a JVP in the same pass as the value ==");
var a = Tensor.Scalar(3.0);
using (var acc = new ForwardAccumulator(a, Tensor.Scalar(1.0)))
{
    var b = a * a * a;
    Console.WriteLine($"d(a^3)/da = {acc.Jvp(b)!.Item<double>()}");           // 3a^2 = 27
}

Console.WriteLine();
Console.WriteLine("== Printing: values, shape, dtype and autodiff state ==");
var m = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
Console.WriteLine(m);
Console.WriteLine(t);          // a leaf that requires grad
Console.WriteLine(z);          // made by an op: shows its grad_fn

Console.WriteLine();
Console.WriteLine("== Broadcasting and type promotion (NumPy / PyTorch rules) ==");
var row = Tensor.FromArray(new float[] { 10, 20, 30 }, [3]);
Console.WriteLine(m + row);                                         // [2, 3] + [3] -> [2, 3]
var column = Tensor.FromArray(new float[] { 100, 200 }, [2, 1]);
Console.WriteLine(m * column);                                      // [2, 3] * [2, 1] -> [2, 3]
var counts = Tensor.Arange(4);                                      // int64
Console.WriteLine(counts);
Console.WriteLine(counts * 0.5);                                    // int64 * float number -> float32
Console.WriteLine(counts + Tensor.FromArray(new[] { 0.5, 0.25, 0, 1 }, [4])); // int64 + float64 -> float64

Console.WriteLine();
Console.WriteLine("== Views and matrix multiply ==");
Console.WriteLine(m.T);                                             // a transposed view, no copy
Console.WriteLine(m.MatMul(m.T));                                   // [2, 3] @ [3, 2] -> [2, 2]

Console.WriteLine();
Console.WriteLine("== A small gradient: least squares for one linear layer ==");
// loss = sum((X·w - t)^2); its gradient is 2·Xᵀ(X·w - t).
var inputs = Tensor.FromArray(new double[] { 1, 2, 3, 4, 5, 6 }, [3, 2]);
var targets = Tensor.FromArray(new double[] { 1, 0, -1 }, [3]);
var weights = Tensor.FromArray(new double[] { 0.5, -0.25 }, [2], requiresGrad: true);
var residual = inputs.MatMul(weights) - targets;
var loss = (residual * residual).Sum();
loss.Backward();
Console.WriteLine($"loss     = {loss.Item<double>()}");
Console.WriteLine($"grad     = {weights.Grad}");
var expected = 2 * inputs.T.MatMul(residual.Detach());
Console.WriteLine($"by hand  = {expected}");
