/** axe-core on every view in the light theme, before and after a run (see auditViews.ts). */
import { auditViews } from './auditViews.ts';

auditViews('light');
