import 'reflect-metadata';
import { Logger } from '@nestjs/common';

// Specs assert on behaviour, not on log lines; keep their output readable.
Logger.overrideLogger(false);
