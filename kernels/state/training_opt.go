package state

import (
	"math"
	"slices"

	"github.com/tfhub-go/tfhub/kernels"
	"github.com/tfhub-go/tfhub/kernels/internal/simd"
	"github.com/tfhub-go/tfhub/tensor"
)

// The optimizer training ops of TensorFlow's training_ops.cc that Keras's
// optimizers emit: Adam, momentum (classic and Keras's variant) and
// RMSProp. Each takes the variable and its slots as resource handles,
// updates them in place with TensorFlow's exact formulas (computed in
// float32 for float32 variables, as TensorFlow's CPU kernels do) and has no
// outputs. use_locking is accepted: updates always hold the variable's
// lock.

func init() {
	kernels.Register(kernels.Def{Op: "ResourceApplyAdam", Fn: applyAdam, Stateful: true})
	kernels.Register(kernels.Def{Op: "ResourceApplyMomentum", Fn: applyMomentum(false), Stateful: true})
	kernels.Register(kernels.Def{Op: "ResourceApplyKerasMomentum", Fn: applyMomentum(true), Stateful: true})
	kernels.Register(kernels.Def{Op: "ResourceApplyRMSProp", Fn: applyRMSProp, Stateful: true})
}

// loadSlots returns the variables of the handles at inputs 0..n-1 (the
// variable and its slots) and their current values, checked to be
// initialized and of grad's shape and dtype.
func loadSlots(c *kernels.Context, n int, grad *tensor.Tensor) ([]*kernels.Variable, []*tensor.Tensor, error) {
	vars := make([]*kernels.Variable, n)
	vals := make([]*tensor.Tensor, n)
	for i := 0; i < n; i++ {
		v, err := handleVariable(c, i)
		if err != nil {
			return nil, nil, err
		}
		t, err := v.Value()
		if err != nil {
			return nil, nil, c.Errorf("attempting to use uninitialized value %s", v.Name)
		}
		if !slices.Equal(t.Shape(), grad.Shape()) {
			return nil, nil, c.Errorf("input %d (%s) and grad do not have the same shape: %v %v", i, v.Name, t.Shape(), grad.Shape())
		}
		if t.DType() != grad.DType() {
			return nil, nil, c.Errorf("input %d (%s) is %v, grad is %v", i, v.Name, t.DType(), grad.DType())
		}
		vars[i], vals[i] = v, t
	}
	return vars, vals, nil
}

// store writes new values to vars, keeping their dtype.
func store(vars []*kernels.Variable, shape []int, f32 [][]float32, f64 [][]float64) error {
	for i, v := range vars {
		var t *tensor.Tensor
		var err error
		if f32 != nil {
			t, err = tensor.FromSlice(f32[i], shape...)
		} else {
			t, err = tensor.FromSlice(f64[i], shape...)
		}
		if err != nil {
			return err
		}
		if _, err := v.Update(func(*tensor.Tensor) (*tensor.Tensor, error) { return t, nil }); err != nil {
			return err
		}
	}
	return nil
}

// float32Copies returns fresh copies of the float32 data of ts.
func float32Copies(ts []*tensor.Tensor) [][]float32 {
	out := make([][]float32, len(ts))
	for i, t := range ts {
		out[i] = append([]float32(nil), t.Float32s()...)
	}
	return out
}

func float64Copies(ts []*tensor.Tensor) ([][]float64, error) {
	out := make([][]float64, len(ts))
	for i, t := range ts {
		v, err := tensor.AsFloat64s(t)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// floatGrad checks that the gradient is float32 or float64.
func floatGrad(c *kernels.Context, i int) (*tensor.Tensor, error) {
	g := c.Input(i)
	if g.DType() != tensor.Float32 && g.DType() != tensor.Float64 {
		return nil, c.Errorf("grad must be float32 or float64, got %v", g.DType())
	}
	return g, nil
}

// scalars reads the scalar inputs at idx as float64.
func scalars(c *kernels.Context, idx ...int) ([]float64, error) {
	out := make([]float64, len(idx))
	for k, i := range idx {
		v, err := scalarFloat(c, i)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// applyAdam implements ResourceApplyAdam(var, m, v, beta1_power,
// beta2_power, lr, beta1, beta2, epsilon, grad):
//
//	lr_t = lr * sqrt(1 - beta2_power) / (1 - beta1_power)
//	m   += (grad - m) * (1 - beta1)
//	v   += (grad² - v) * (1 - beta2)
//	var -= m * lr_t / (sqrt(v) + epsilon)
//
// and with use_nesterov, var -= (grad*(1-beta1) + beta1*m) * lr_t /
// (sqrt(v) + epsilon).
func applyAdam(c *kernels.Context) error {
	grad, err := floatGrad(c, 9)
	if err != nil {
		return err
	}
	nesterov, err := c.AttrBool("use_nesterov", false)
	if err != nil {
		return err
	}
	s, err := scalars(c, 3, 4, 5, 6, 7, 8)
	if err != nil {
		return err
	}
	vars, vals, err := loadSlots(c, 3, grad)
	if err != nil {
		return err
	}
	if grad.DType() == tensor.Float32 {
		b1p, b2p, lr, b1, b2, eps := float32(s[0]), float32(s[1]), float32(s[2]), float32(s[3]), float32(s[4]), float32(s[5])
		alpha := lr * float32(math.Sqrt(float64(1-b2p))) / (1 - b1p)
		if !nesterov {
			// Vectorized, written straight into the new values.
			n := grad.NumElements()
			d := [][]float32{make([]float32, n), make([]float32, n), make([]float32, n)}
			simd.Adam(d[0], d[1], d[2], vals[0].Float32s(), vals[1].Float32s(), vals[2].Float32s(), grad.Float32s(), 1-b1, 1-b2, alpha, eps)
			return store(vars, grad.Shape(), d, nil)
		}
		d := float32Copies(vals)
		w, m, v, g := d[0], d[1], d[2], grad.Float32s()
		for i := range w {
			m[i] += (g[i] - m[i]) * (1 - b1)
			v[i] += (g[i]*g[i] - v[i]) * (1 - b2)
			den := float32(math.Sqrt(float64(v[i]))) + eps
			if nesterov {
				w[i] -= ((g[i]*(1-b1) + b1*m[i]) * alpha) / den
			} else {
				w[i] -= (m[i] * alpha) / den
			}
		}
		return store(vars, grad.Shape(), d, nil)
	}
	b1p, b2p, lr, b1, b2, eps := s[0], s[1], s[2], s[3], s[4], s[5]
	alpha := lr * math.Sqrt(1-b2p) / (1 - b1p)
	d, err := float64Copies(vals)
	if err != nil {
		return err
	}
	w, m, v := d[0], d[1], d[2]
	g, _ := tensor.AsFloat64s(grad)
	for i := range w {
		m[i] += (g[i] - m[i]) * (1 - b1)
		v[i] += (g[i]*g[i] - v[i]) * (1 - b2)
		if nesterov {
			w[i] -= ((g[i]*(1-b1) + b1*m[i]) * alpha) / (math.Sqrt(v[i]) + eps)
		} else {
			w[i] -= (m[i] * alpha) / (math.Sqrt(v[i]) + eps)
		}
	}
	return store(vars, grad.Shape(), nil, d)
}

// applyMomentum implements ResourceApplyMomentum(var, accum, lr, grad,
// momentum):
//
//	accum = accum*momentum + grad
//	var  -= accum*lr                      (use_nesterov: grad*lr + accum*momentum*lr)
//
// and, keras true, ResourceApplyKerasMomentum:
//
//	accum = accum*momentum - grad*lr
//	var  += accum                         (use_nesterov: accum*momentum - grad*lr)
func applyMomentum(keras bool) kernels.Func {
	return func(c *kernels.Context) error {
		grad, err := floatGrad(c, 3)
		if err != nil {
			return err
		}
		nesterov, err := c.AttrBool("use_nesterov", false)
		if err != nil {
			return err
		}
		s, err := scalars(c, 2, 4)
		if err != nil {
			return err
		}
		vars, vals, err := loadSlots(c, 2, grad)
		if err != nil {
			return err
		}
		if grad.DType() == tensor.Float32 {
			lr, mu := float32(s[0]), float32(s[1])
			d := float32Copies(vals)
			w, a, g := d[0], d[1], grad.Float32s()
			for i := range w {
				if keras {
					a[i] = a[i]*mu - g[i]*lr
					if nesterov {
						w[i] += a[i]*mu - g[i]*lr
					} else {
						w[i] += a[i]
					}
					continue
				}
				a[i] = a[i]*mu + g[i]
				if nesterov {
					w[i] -= g[i]*lr + a[i]*mu*lr
				} else {
					w[i] -= a[i] * lr
				}
			}
			return store(vars, grad.Shape(), d, nil)
		}
		lr, mu := s[0], s[1]
		d, err := float64Copies(vals)
		if err != nil {
			return err
		}
		w, a := d[0], d[1]
		g, _ := tensor.AsFloat64s(grad)
		for i := range w {
			if keras {
				a[i] = a[i]*mu - g[i]*lr
				if nesterov {
					w[i] += a[i]*mu - g[i]*lr
				} else {
					w[i] += a[i]
				}
				continue
			}
			a[i] = a[i]*mu + g[i]
			if nesterov {
				w[i] -= g[i]*lr + a[i]*mu*lr
			} else {
				w[i] -= a[i] * lr
			}
		}
		return store(vars, grad.Shape(), nil, d)
	}
}

// applyRMSProp implements ResourceApplyRMSProp(var, ms, mom, lr, rho,
// momentum, epsilon, grad):
//
//	ms   += (grad² - ms) * (1 - rho)
//	mom   = mom*momentum + grad*lr / sqrt(ms + epsilon)
//	var  -= mom
func applyRMSProp(c *kernels.Context) error {
	grad, err := floatGrad(c, 7)
	if err != nil {
		return err
	}
	s, err := scalars(c, 3, 4, 5, 6)
	if err != nil {
		return err
	}
	vars, vals, err := loadSlots(c, 3, grad)
	if err != nil {
		return err
	}
	if grad.DType() == tensor.Float32 {
		lr, rho, mu, eps := float32(s[0]), float32(s[1]), float32(s[2]), float32(s[3])
		d := float32Copies(vals)
		w, ms, mom, g := d[0], d[1], d[2], grad.Float32s()
		for i := range w {
			ms[i] += (g[i]*g[i] - ms[i]) * (1 - rho)
			mom[i] = mom[i]*mu + (g[i]*lr)/float32(math.Sqrt(float64(ms[i]+eps)))
			w[i] -= mom[i]
		}
		return store(vars, grad.Shape(), d, nil)
	}
	lr, rho, mu, eps := s[0], s[1], s[2], s[3]
	d, err := float64Copies(vals)
	if err != nil {
		return err
	}
	w, ms, mom := d[0], d[1], d[2]
	g, _ := tensor.AsFloat64s(grad)
	for i := range w {
		ms[i] += (g[i]*g[i] - ms[i]) * (1 - rho)
		mom[i] = mom[i]*mu + (g[i]*lr)/math.Sqrt(ms[i]+eps)
		w[i] -= mom[i]
	}
	return store(vars, grad.Shape(), nil, d)
}
