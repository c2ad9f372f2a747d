//! An exponential moving average of the weights, as a small type of its own (as early stopping
//! is): Polyak averaging in the exponential form of TensorFlow's `ExponentialMovingAverage`
//! and Keras's `use_ema`. After every optimiser step,
//!
//! ```text
//! θ̄_1 = θ_1,    θ̄_t = β_t · θ̄_{t−1} + (1 − β_t) · θ_t,    β_t = min(β, t / (t + 9))
//! ```
//!
//! and validation, early stopping and the artifact read `θ̄` while training goes on from `θ`.
//! The average smooths the last few hundred steps' noise (at `β` = 0.99 a step's weight halves
//! after 69 steps). `β_t` is TensorFlow's warm-up (`num_updates`: `min(β, (1 + n) / (10 + n))`
//! with `n = t − 1` steps before this one): early on the average spans about the last tenth
//! of the steps, so a short run (the first rungs of `seqrisk tune`) is not judged by an average
//! still full of its first, untrained weights.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::prelude::*;
use std::collections::HashMap;

/// The running average `θ̄` of a module's float parameters, matched by their place in the
/// module (`wide.weight`, …): a resumed run loads both the weights and the average into fresh
/// modules, whose parameter ids differ.
#[derive(Debug, Clone)]
pub struct WeightAverage<M> {
    decay: f64,
    /// Steps taken in so far (`t` of the last one).
    steps: u64,
    average: Option<M>,
}

impl<M: Module + Clone> WeightAverage<M> {
    /// No step seen yet; `decay` is `β`, in [0, 1) (the settings validate it).
    pub fn new(decay: f64) -> Self {
        Self {
            decay,
            steps: 0,
            average: None,
        }
    }

    /// Where a resumed run left off: its average after `steps` steps.
    pub fn resumed(decay: f64, steps: u64, average: M) -> Self {
        Self {
            decay,
            steps,
            average: Some(average),
        }
    }

    /// Take in the weights after a step (`weights` without autodiff: `model.valid()`).
    pub fn update(&mut self, weights: M) {
        self.steps += 1;
        let t = self.steps as f64;
        let decay = self.decay.min(t / (t + 9.0));
        self.average = Some(match self.average.take() {
            None => weights,
            Some(average) => {
                let mut current = Flatten::default();
                weights.visit(&mut current);
                average.map(&mut Blend {
                    current: current.params,
                    path: Vec::new(),
                    decay,
                })
            }
        });
    }

    /// `θ̄`, once a step was taken.
    pub fn average(&self) -> Option<&M> {
        self.average.as_ref()
    }

    /// Steps taken in so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }
}

/// Every float parameter, flattened, by its path in the module.
#[derive(Default)]
struct Flatten {
    params: HashMap<String, Tensor<1>>,
    path: Vec<String>,
}

impl ModuleVisitor for Flatten {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val();
        let n = value.shape().num_elements();
        self.params.insert(self.path.join("."), value.reshape([n]));
    }
}

/// `β · θ̄ + (1 − β) · θ` for every parameter of `θ̄` that `current` (θ) has at its path.
struct Blend {
    current: HashMap<String, Tensor<1>>,
    path: Vec<String>,
    decay: f64,
}

impl ModuleMapper for Blend {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        // a parameter of the average alone (none: both are built by one configuration)
        // stays as it is
        let Some(current) = self.current.remove(&self.path.join(".")) else {
            return param;
        };
        let decay = self.decay;
        param.map(|average| {
            let shape = average.shape();
            average
                .mul_scalar(decay)
                .add(current.reshape(shape).mul_scalar(1.0 - decay))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::{Linear, LinearConfig};

    /// A 2 × 2 linear layer holding `weight` and `bias`, with parameter ids of its own.
    fn linear(weight: [[f32; 2]; 2], bias: [f32; 2]) -> Linear {
        let device = Default::default();
        let mut l = LinearConfig::new(2, 2).init(&device);
        l.weight = Param::from_tensor(Tensor::from_data(TensorData::from(weight), &device));
        l.bias = Some(Param::from_tensor(Tensor::from_data(
            TensorData::from(bias),
            &device,
        )));
        l
    }

    fn values(l: &Linear) -> (Vec<f32>, Vec<f32>) {
        let w = l.weight.val().into_data().try_to_vec::<f32>().unwrap();
        let b = l
            .bias
            .as_ref()
            .unwrap()
            .val()
            .into_data()
            .try_to_vec::<f32>();
        (w, b.unwrap())
    }

    // every `linear` has parameter ids of its own, so these blends also check that parameters
    // are matched by their place in the module, as after `--resume`
    #[test]
    fn the_first_step_is_the_average_and_later_ones_blend_by_hand() {
        let first = linear([[1.0, 2.0], [3.0, 4.0]], [0.5, -0.5]);
        let second = linear([[5.0, 6.0], [7.0, 8.0]], [1.5, 0.5]);
        let third = linear([[0.0, 0.0], [0.0, 0.0]], [0.0, 0.0]);

        // early, the warm-up's β_2 = 2/11 < 0.75: θ̄ = 2/11·θ_1 + 9/11·θ_2 (first weight
        // 2/11·1 + 9/11·5 = 47/11)
        let mut avg = WeightAverage::new(0.75);
        assert!(avg.average().is_none());
        avg.update(first.clone());
        assert_eq!(
            values(avg.average().unwrap()),
            (vec![1.0, 2.0, 3.0, 4.0], vec![0.5, -0.5])
        );
        avg.update(second.clone());
        let (w, b) = values(avg.average().unwrap());
        let by_hand = [47.0, 58.0, 69.0, 80.0, 14.5, 3.5].map(|x: f32| x / 11.0);
        for (got, want) in w.iter().chain(&b).zip(by_hand) {
            assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        }
        assert_eq!(avg.steps(), 2);

        // past the warm-up (t / (t + 9) ≥ 0.75 from t = 27 on), β itself
        let mut avg = WeightAverage::resumed(0.75, 100, first);
        // 0.75·θ̄ + 0.25·θ: 0.75·1 + 0.25·5 = 2, …; bias 0.75·0.5 + 0.25·1.5 = 0.75
        avg.update(second);
        assert_eq!(
            values(avg.average().unwrap()),
            (vec![2.0, 3.0, 4.0, 5.0], vec![0.75, -0.25])
        );
        // then a step to zero: 0.75 of each
        avg.update(third);
        assert_eq!(
            values(avg.average().unwrap()),
            (vec![1.5, 2.25, 3.0, 3.75], vec![0.5625, -0.1875])
        );
    }

    #[test]
    fn a_resumed_average_goes_on_as_the_uninterrupted_one() {
        let a = linear([[1.0, 2.0], [3.0, 4.0]], [0.5, -0.5]);
        let b = linear([[5.0, 6.0], [7.0, 8.0]], [1.5, 0.5]);
        let mut whole = WeightAverage::new(0.5);
        whole.update(a.clone());
        let mut resumed =
            WeightAverage::resumed(0.5, whole.steps(), whole.average().unwrap().clone());
        whole.update(b.clone());
        resumed.update(b);
        assert_eq!(
            values(whole.average().unwrap()),
            values(resumed.average().unwrap())
        );
        // β = 0 keeps the last weights alone: no averaging
        let mut none = WeightAverage::new(0.0);
        none.update(a);
        none.update(linear([[5.0, 6.0], [7.0, 8.0]], [1.5, 0.5]));
        assert_eq!(
            values(none.average().unwrap()),
            (vec![5.0, 6.0, 7.0, 8.0], vec![1.5, 0.5])
        );
    }
}
