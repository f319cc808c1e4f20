#!/usr/bin/env bash
# Issue 24: teacher targets refined by the dense CRF vs as they are. Same recipe otherwise: preset:person's
# Keras model fine-tuned 1 epoch on ccp-person train (relabelled), distilling from Coral (weight 1.5).
# Rerun to resume: each training resumes, a finished evaluation is kept.
set -e
cd "$(dirname "$0")/../.." && source .venv/bin/activate
R=${RUN:-runs/crf_teacher}
for refine in none crf; do
  out=$R/$refine
  [ -f $out/.done ] && continue
  if [ -f $out/run.json ]; then
    edge-deeplab train --data runs/v2/ccp-relabelled --output $out --resume --no-progress
  else
    edge-deeplab train --data runs/v2/ccp-relabelled --output $out --init-from edge_deeplab/presets/person/keras \
      --distill-from peer:coral-voc:weight=1.5 --distill-refine $refine --freeze-batch-norm --augment-preset world \
      --optimizer sgd --learning-rate 0.001 --warmup-epochs 0 --epochs 1 --checkpoint-every-steps 25 --cache --no-progress
  fi
  touch $out/.done
done
for set in "eg1800 test" "ccp-person val" "coco-people val"; do
  set -- $set; name=$1; split=$2
  [ -f $R/eval_$name/evaluation.json ] && continue
  edge-deeplab evaluate edge_deeplab/presets/person/keras $R/none/best $R/crf/best --data ../shared/data/$name \
    --split $split --overlays 0 --no-progress --output $R/eval_$name
done
echo done
